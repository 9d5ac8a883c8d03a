import type { Dirent } from 'node:fs';
import { readdir, readFile, readlink, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Issue } from '../errors/index.js';
import { checkSizes, decodeUtf8, YAML_FILE, type ConfigLimits } from '../spec/index.js';

/** A configuration file found on disk: its name in the directory and the file it reads. */
interface Found {
  readonly file: string;
  readonly real: string;
  readonly bytes: number;
}

/**
 * Reads the YAML files of `subs` (services/, environments/) under `dir`. Nothing is skipped
 * without a word: a symbolic link is followed when it stays inside the configuration
 * directory, and anything that is not a YAML file (nor hidden by a leading dot) is a problem,
 * since a file left out of `render` would be deleted from a cluster by `apply`.
 */
export async function readConfigFiles(
  dir: string,
  subs: readonly string[],
  limits: ConfigLimits,
): Promise<{ texts: Record<string, string>; issues: Issue[] }> {
  const root = await realpath(dir);
  const issues: Issue[] = [];
  const found: Found[] = [];
  for (const sub of subs) for (const f of await listSub(root, sub, issues)) found.push(f);
  checkSizes(dir, found, limits);
  const texts: Record<string, string> = {};
  for (const f of found) {
    const decoded = decodeUtf8(f.file, await readFile(f.real));
    if ('text' in decoded) texts[f.file] = decoded.text;
    else issues.push(decoded.issue);
  }
  return { texts, issues };
}

async function listSub(root: string, sub: string, issues: Issue[]): Promise<Found[]> {
  let entries: Dirent[];
  try {
    const real = await realpath(join(root, sub));
    if (!inside(root, real)) {
      issues.push({
        code: 'symlink_outside',
        file: `${sub}/`,
        message: `${sub}/ is a symbolic link to ${real}, outside the configuration directory`,
        hint: `Move ${sub}/ into the configuration directory: Switchyard reads only files the directory holds.`,
      });
      return [];
    }
    entries = await readdir(real, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    if (code === 'ENOTDIR') {
      issues.push({
        code: 'not_a_directory',
        file: sub,
        message: `${sub} is a file; it must be a directory of YAML files`,
        hint: `Move the file into a directory named ${sub}/, one file per ${sub === 'environments' ? 'environment' : 'service or worker'}.`,
      });
      return [];
    }
    throw err;
  }
  const found: Found[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith('.')) continue;
    const file = `${sub}/${entry.name}`;
    const problem = (code: string, message: string, hint: string) => void issues.push({ code, file, message, hint });
    const path = join(root, sub, entry.name);
    let real = path;
    if (entry.isSymbolicLink()) {
      const target = await followLink(root, path, file, problem);
      if (target === undefined) continue;
      real = target;
    }
    const info = await stat(real);
    if (info.isDirectory()) {
      problem(
        'not_a_file',
        `${file} is a directory; only the files directly in ${sub}/ are read`,
        `Move its files up into ${sub}/, move the directory out, or start its name with a dot to keep it there unread.`,
      );
    } else if (!info.isFile()) {
      problem(
        'not_a_file',
        `${file} is not a regular file`,
        `Remove it from ${sub}/, or start its name with a dot to keep it there unread.`,
      );
    } else if (!YAML_FILE.test(entry.name)) {
      problem(
        'not_yaml',
        `${file} is not a YAML file (*.yaml or *.yml)`,
        `Rename it to .yaml if it describes ${sub === 'environments' ? 'an environment' : 'a service or worker'}, move it out of ${sub}/, or start its name with a dot to keep it there unread.`,
      );
    } else {
      found.push({ file, real, bytes: info.size });
    }
  }
  return found;
}

/** The file a symbolic link leads to, when it exists and stays inside the configuration directory. */
async function followLink(
  root: string,
  path: string,
  file: string,
  problem: (code: string, message: string, hint: string) => void,
): Promise<string | undefined> {
  try {
    const real = await realpath(path);
    if (inside(root, real)) return real;
    problem(
      'symlink_outside',
      `${file} is a symbolic link to ${real}, outside the configuration directory`,
      'Copy the file into the configuration directory, or point the link at a file inside it: Switchyard reads only files the directory holds (and records).',
    );
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const target = await readlink(path);
    if (code === 'ELOOP')
      problem(
        'symlink_loop',
        `${file} is a symbolic link to ${target}, which leads back to itself (a loop of links)`,
        'Point the link at a real file, or replace it with the file.',
      );
    else if (code === 'ENOENT' || code === 'ENOTDIR')
      problem(
        'symlink_dangling',
        `${file} is a symbolic link to ${target}, which does not exist`,
        "Fix the link's target, or delete the link.",
      );
    else throw err;
  }
  return undefined;
}

function inside(root: string, real: string): boolean {
  const rel = relative(root, real);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep);
}
