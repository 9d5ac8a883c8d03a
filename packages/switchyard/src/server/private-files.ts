import { chmod, lstat, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SwitchyardError } from '../errors/index.js';

/**
 * A data directory holds the store, the config repository, logs and admin.token: whoever can
 * read it owns the fleet. Its root at 0700 is what protects everything under it; the directories
 * Switchyard makes in it are 0700 too and secret files 0600, checked at every start, so a
 * directory left readable by an older version or a careless copy is closed again.
 */

/** Files in a data directory that hold a secret. */
const SECRET_FILES = new Set(['admin.token']);

const readableByOthers = (mode: number) => (mode & 0o077) !== 0;
const octal = (mode: number) => (mode & 0o777).toString(8).padStart(4, '0');

function unsafe(path: string, err: unknown, what = 'made private'): SwitchyardError {
  return new SwitchyardError('SWY_SERVER_DATA_DIR_UNSAFE', {
    message: `${path} could not be ${what}: ${(err as Error).message}`,
    cause: err,
    details: { path },
  });
}

/** Takes group and other bits off `path` if it has any; says what changed, as `label 0755 → 0700`. */
export async function makePrivate(path: string, label: string, follow = false): Promise<string | undefined> {
  const info = await (follow ? stat(path) : lstat(path)).catch(() => undefined);
  // A link is left alone: its mode is not its target's, and the target may be anywhere.
  if (!info || info.isSymbolicLink() || !readableByOthers(info.mode)) return undefined;
  const wanted = info.isDirectory() ? 0o700 : 0o600;
  await chmod(path, wanted).catch((err: unknown) => {
    throw unsafe(path, err);
  });
  return `${label} ${octal(info.mode)} → ${octal(wanted)}`;
}

/** Creates a private directory, or makes an existing one private. */
export async function privateDirectory(path: string, label = path): Promise<string | undefined> {
  await mkdir(path, { recursive: true, mode: 0o700 }).catch((err: unknown) => {
    throw unsafe(path, err);
  });
  return makePrivate(path, label, true);
}

/**
 * Makes the data directory, its directories and its secret files private, then creates the
 * directories Switchyard is about to use in it (0700). Returns what had to be tightened.
 */
export async function secureDataDir(dataDir: string, subdirectories: readonly string[] = []): Promise<string[]> {
  const changes = [await privateDirectory(dataDir)];
  const entries = (await readdir(dataDir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    if (entry.isDirectory() || (entry.isFile() && SECRET_FILES.has(entry.name)))
      changes.push(await makePrivate(join(dataDir, entry.name), entry.name));
  }
  for (const sub of subdirectories) await privateDirectory(join(dataDir, sub));
  return changes.filter((c): c is string => c !== undefined);
}

/** The one line a start prints when it had to tighten something. */
export function tightenedLine(changes: readonly string[]): string {
  return `made private what was readable by others: ${changes.join(', ')}`;
}

/**
 * Writes a secret file 0600 whatever was there before: written beside it, then renamed over
 * it, so no reader ever sees it half written or with the old file's looser mode.
 */
export async function writeSecretFile(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  try {
    await rm(temp, { force: true });
    await writeFile(temp, text, { mode: 0o600, flag: 'wx' });
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw unsafe(path, err, 'written (0600)');
  }
}
