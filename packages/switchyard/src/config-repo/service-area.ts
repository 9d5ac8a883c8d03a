import { mkdir, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

async function listFiles(root: string, dir = root): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(root, full)));
    else out.push(relative(root, full));
  }
  return out;
}

async function removeEmptyDirs(dir: string, stop: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => []))
    if (e.isDirectory()) await removeEmptyDirs(join(dir, e.name), stop);
  if (dir !== stop && (await readdir(dir).catch(() => ['?'])).length === 0) await rmdir(dir).catch(() => undefined);
}

/**
 * Leaves exactly `wanted` (path → content) in a service's directory of the working tree:
 * whatever a killed earlier attempt left half written is replaced too, files no longer
 * rendered are removed, and unchanged files are not touched.
 */
export async function writeServiceArea(root: string, wanted: ReadonlyMap<string, string>): Promise<void> {
  for (const existing of await listFiles(root))
    if (!wanted.has(existing)) await rm(join(root, existing), { force: true });
  for (const [path, content] of wanted) {
    const full = join(root, path);
    await mkdir(dirname(full), { recursive: true });
    if ((await readFile(full, 'utf8').catch(() => undefined)) !== content) await writeFile(full, content);
  }
  await removeEmptyDirs(root, root);
}
