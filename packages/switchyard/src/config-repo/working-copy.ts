import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { checkName } from './checks.js';
import type { Git } from './git.js';
import { clearStaleLocks } from './locks.js';
import { isRemoteFailure, type Remote } from './remote.js';

export interface WorkingCopy {
  /** Runs git in the working copy's directory. */
  readonly git: Git;
  readonly branch: string;
  readonly remote: Remote | undefined;
  /** How long to wait for another live git process to release its lock. */
  readonly lockWaitMs: number;
}

export const gitDirOf = (copy: WorkingCopy): string => join(copy.git.dir, '.git');

/** Clears the locks a killed git left behind; waits for a live one (SWY_REPO_LOCKED after lockWaitMs). */
export function clearLocks(copy: WorkingCopy): Promise<string[]> {
  return clearStaleLocks(copy.git.dir, gitDirOf(copy), copy.branch, copy.lockWaitMs);
}

/**
 * Makes the working copy ready for commits: created (git init) or cloned from the remote
 * when missing, origin pointed at the remote, on the branch, up to date with the remote.
 */
export async function prepareWorkingCopy(copy: WorkingCopy): Promise<void> {
  const { git, branch, remote } = copy;
  checkName('branch', branch);
  const cloned = !existsSync(gitDirOf(copy)) && remote !== undefined;
  if (!existsSync(gitDirOf(copy))) {
    if (remote) {
      await mkdir(dirname(git.dir), { recursive: true });
      const clone = await git.run(['clone', '--quiet', '--origin', 'origin', remote.url, git.dir], {
        cwd: dirname(git.dir),
        ok: [128],
      });
      if (clone.code !== 0) throw remote.failed('clone', clone.stderr);
    } else {
      await mkdir(git.dir, { recursive: true });
      await git.run(['init', '--quiet', `--initial-branch=${branch}`]);
    }
  } else if (remote) await remote.attach();
  await clearLocks(copy);
  // A working copy always on our branch, even a fresh clone of an empty remote.
  const symbolic = await git.run(['symbolic-ref', '--quiet', 'HEAD'], { ok: [1] });
  if (symbolic.stdout.trim() !== `refs/heads/${branch}`) {
    if (await git.has(`refs/heads/${branch}`)) await git.run(['checkout', '--quiet', branch]);
    else await git.run(['symbolic-ref', 'HEAD', `refs/heads/${branch}`]);
  }
  // A working copy we already have keeps serving when the remote is down; commits say so.
  if (remote)
    await remote.sync().catch((err: unknown) => (cloned || !isRemoteFailure(err) ? Promise.reject(err) : undefined));
}
