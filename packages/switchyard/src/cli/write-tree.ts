import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SwitchyardError } from '../errors/index.js';

/**
 * Writes `files` so that `target` holds exactly them, or is left untouched: everything is
 * written beside it first and swapped in with renames.
 */
export async function writeTree(target: string, files: ReadonlyMap<string, string>): Promise<void> {
  const staging = `${target}.tmp-${process.pid}`;
  const previous = `${target}.old-${process.pid}`;
  try {
    await rm(staging, { recursive: true, force: true });
    for (const [path, content] of files) {
      const full = join(staging, path);
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, content);
    }
    await mkdir(staging, { recursive: true });
    await mkdir(dirname(target), { recursive: true });
    const hadPrevious = await rename(target, previous).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return false;
        throw err;
      },
    );
    await rename(staging, target);
    if (hadPrevious) await rm(previous, { recursive: true, force: true });
  } catch (err) {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw new SwitchyardError('SWY_RENDER_OUTPUT', {
      message: `The rendered objects could not be written to ${target}: ${(err as Error).message}`,
      cause: err,
    });
  }
}
