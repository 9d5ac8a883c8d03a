import { realpath, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * The root of the git work tree holding `dir`: the nearest directory up from it with a `.git`
 * (a directory, or a file in worktrees and submodules), links resolved. Undefined outside git.
 */
export async function gitWorkTree(dir: string): Promise<string | undefined> {
  let current = await realpath(dir);
  for (;;) {
    if (await stat(join(current, '.git')).catch(() => undefined)) return current;
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}
