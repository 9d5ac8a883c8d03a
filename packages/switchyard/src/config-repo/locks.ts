import { readdir, readlink, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SwitchyardError } from '../errors/index.js';

/**
 * git's lock files (index.lock, HEAD.lock, a branch's .lock) are left behind when a git
 * process is killed mid-commit, and then every later commit fails. One is stale when no live
 * process holds it: none has it open and no git process works in the repository. Without
 * /proc (not Linux) a lock counts as stale once it is a minute old.
 */

const UNKNOWN_HOLDER_AGE_MS = 60_000;

async function processesHolding(lock: string, repoDir: string): Promise<number[] | undefined> {
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid);
  } catch {
    return undefined;
  }
  const holders: number[] = [];
  for (const pid of pids) {
    const base = `/proc/${pid}`;
    const comm = (await readFile(`${base}/comm`, 'utf8').catch(() => '')).trim();
    if (comm.startsWith('git')) {
      const cwd = await readlink(`${base}/cwd`).catch(() => '');
      if (cwd === repoDir || cwd.startsWith(`${repoDir}/`)) {
        holders.push(Number(pid));
        continue;
      }
    }
    const fds = await readdir(`${base}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      if ((await readlink(`${base}/fd/${fd}`).catch(() => '')) === lock) {
        holders.push(Number(pid));
        break;
      }
    }
  }
  return holders;
}

export async function existingLocks(gitDir: string, branch: string): Promise<string[]> {
  const candidates = [
    'index.lock',
    'HEAD.lock',
    'config.lock',
    'packed-refs.lock',
    `refs/heads/${branch}.lock`,
    `refs/remotes/origin/${branch}.lock`,
  ].map((f) => join(gitDir, f));
  const found: string[] = [];
  for (const file of candidates)
    if (
      await stat(file).then(
        () => true,
        () => false,
      )
    )
      found.push(file);
  return found;
}

/**
 * Removes stale lock files; waits up to `waitMs` for live ones to go, then throws
 * SWY_REPO_LOCKED naming the lock and its holders. Returns the locks it removed.
 */
export async function clearStaleLocks(
  repoDir: string,
  gitDir: string,
  branch: string,
  waitMs = 5_000,
): Promise<string[]> {
  const removed: string[] = [];
  const deadline = Date.now() + waitMs;
  for (;;) {
    const locks = await existingLocks(gitDir, branch);
    if (locks.length === 0) return removed;
    let live: { lock: string; holders: number[] } | undefined;
    for (const lock of locks) {
      const holders = await processesHolding(lock, repoDir);
      const stale =
        holders === undefined
          ? Date.now() -
              (await stat(lock).then(
                (s) => s.mtimeMs,
                () => 0,
              )) >
            UNKNOWN_HOLDER_AGE_MS
          : holders.length === 0;
      if (stale) {
        await rm(lock, { force: true });
        removed.push(lock);
      } else live ??= { lock, holders: holders ?? [] };
    }
    if (!live) return removed;
    if (Date.now() >= deadline) {
      throw new SwitchyardError('SWY_REPO_LOCKED', {
        message: `${live.lock} is held${live.holders.length ? ` by process ${live.holders.join(', ')}` : ''}: another git process is working in the config repository ${repoDir}`,
        details: { lock: live.lock, pids: live.holders },
      });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
