import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfigFollowing } from '../api/index.js';
import { readConfig, type GitSource } from '../config-dir/index.js';
import { isSwitchyardError, SwitchyardError, type Issue } from '../errors/index.js';
import { resolveFleet, type Fleet } from '../spec/index.js';

/**
 * The commits of a followed configuration repository as the server reads them: the fleets of
 * one commit, the commit to start from, and the commit this data directory served last.
 */

const SERVED_FILE = 'served';

/** Notes the commit served, so a restart can come back to it when the newest is invalid. */
export async function markServed(sourceDir: string, sha: string): Promise<void> {
  await writeFile(join(sourceDir, SERVED_FILE), `${sha}\n`, { mode: 0o600 });
}

/** The commit this data directory served last, if any. */
export async function lastServed(sourceDir: string): Promise<string | undefined> {
  const text = await readFile(join(sourceDir, SERVED_FILE), 'utf8').catch(() => '');
  return /^[0-9a-f]{40,64}$/.test(text.trim()) ? text.trim() : undefined;
}

/** Every environment named, read from one commit's configuration directory; throws SWY_SPEC_INVALID with every problem. */
export async function readFleets(dir: string, environments: readonly string[]): Promise<Map<string, Fleet>> {
  const files = await readConfig(dir);
  const fleets = new Map<string, Fleet>();
  const issues: Issue[] = [];
  let first: SwitchyardError | undefined;
  for (const name of environments) {
    try {
      fleets.set(name, resolveFleet(files, name));
    } catch (err) {
      if (!isSwitchyardError(err)) throw err;
      first ??= err;
      for (const issue of err.issues)
        if (!issues.some((i) => JSON.stringify(i) === JSON.stringify(issue))) issues.push(issue);
    }
  }
  if (first) throw issues.length > 0 ? new SwitchyardError(first.code, { message: first.message, issues }) : first;
  return fleets;
}

/**
 * The commit a server starts from: the branch's newest, or — when that one is invalid — the
 * one this data directory served last (the follower then refuses the newest at its first
 * check, with every problem listed). A first start on an invalid commit fails with its problems.
 */
export async function firstCommit<T>(
  source: GitSource,
  read: (dir: string) => Promise<T>,
  onLine: (line: string) => void = () => undefined,
): Promise<{ readonly sha: string; readonly fleets: T }> {
  const head = await source.fetch();
  try {
    const fleets = await read(await source.checkout(head));
    await markServed(source.dir, head);
    return { sha: head, fleets };
  } catch (err) {
    const previous = await lastServed(source.dir);
    if (!isSwitchyardError(err) || !previous || previous === head) throw err;
    onLine(
      `⚠ config: the newest commit ${head.slice(0, 12)} is invalid (${err.message}); serving ${previous.slice(0, 12)}, served last`,
    );
    return { sha: previous, fleets: await read(await source.checkout(previous)) };
  }
}

/** The configuration of a server that reads a directory once (no git): what GET /v1/config shows. */
export function directoryConfig(dir: string): ConfigFollowing {
  return {
    webhookSecret: undefined,
    status: () => ({ source: 'directory', location: dir, webhook: false }),
    check: () =>
      Promise.reject(
        new SwitchyardError('SWY_CONFIG_WEBHOOK_DISABLED', {
          message: `This server reads the directory ${dir} once and follows no git repository`,
        }),
      ),
  };
}
