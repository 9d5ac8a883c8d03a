import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSwitchyardError, type SwitchyardError } from '../errors/index.js';
import { renderUnit } from '../render/index.js';
import { loadFleet } from '../config-dir/index.js';
import type { Fleet } from '../spec/index.js';
import {
  COMMAND_TRAILER,
  GitConfigRepo,
  RELEASE_TRAILER,
  openConfigRepo,
  serviceFiles,
  type ConfigChange,
} from './index.js';

const EXAMPLE = resolve(fileURLToPath(import.meta.url), '../../../../../examples/video-platform');
const alice = { name: 'Alice Deployer', email: 'alice@example.com' };
const bob = { name: 'Bob', email: 'bob@example.com' };

const dirs: string[] = [];
async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `switchyard-${prefix}-`));
  dirs.push(dir);
  return dir;
}
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Plain git in `dir`, for looking at what the adapter did from the outside. */
function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], {
    cwd: dir,
    encoding: 'utf8',
  }).trim();
}

async function failure(promise: Promise<unknown>): Promise<SwitchyardError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isSwitchyardError(err)) throw new Error(`expected a SwitchyardError, got ${String(err)}`);
  return err;
}

let fleet: Fleet;
beforeAll(async () => {
  fleet = await loadFleet(EXAMPLE, 'staging');
});

function rendered(service: string, state?: Parameters<typeof renderUnit>[2]): Map<string, string> {
  const unit = fleet.units.find((u) => u.name === service);
  if (!unit) throw new Error(`no ${service} in the example fleet`);
  return serviceFiles(renderUnit(unit, fleet.environment, state));
}

function change(service: string, files: Map<string, string>, extra: Partial<ConfigChange> = {}): ConfigChange {
  return {
    environment: 'staging',
    service,
    files,
    manifest: { versions: { stable: '1.0.0' }, shares: { free: 0 } },
    author: alice,
    message: `${service}: deploy 1.0.0\n\nBecause the tests say so.`,
    ...extra,
  };
}

describe('git config repository', () => {
  it('creates the repository and commits the rendered objects with release.json', async () => {
    const dir = join(await tempDir('repo'), 'config');
    const repo = await openConfigRepo({ dir });
    expect(existsSync(join(dir, '.git'))).toBe(true);
    expect(await repo.head()).toBeUndefined();

    const files = rendered('catalog-api');
    expect([...files.keys()].every((f) => /^[a-z]+-[a-z0-9-]+\.yaml$/.test(f))).toBe(true);
    const result = await repo.commit(
      change('catalog-api', files, { trailers: { [RELEASE_TRAILER]: 'r-1', [COMMAND_TRAILER]: 'r-1/3' } }),
    );
    expect(result.changed).toBe(true);
    expect(result.sha).toBe(git(dir, 'rev-parse', 'HEAD'));
    expect(git(dir, 'ls-tree', '-r', '--name-only', 'HEAD').split('\n').sort()).toEqual(
      [...[...files.keys()].map((f) => `staging/catalog-api/${f}`), 'staging/catalog-api/release.json'].sort(),
    );
    for (const [name, content] of files)
      expect(git(dir, 'show', `HEAD:staging/catalog-api/${name}`)).toBe(content.trim());
    expect(JSON.parse(git(dir, 'show', 'HEAD:staging/catalog-api/release.json'))).toEqual({
      environment: 'staging',
      service: 'catalog-api',
      versions: { stable: '1.0.0' },
      shares: { free: 0 },
    });
    // Author is the person, committer is Switchyard: neither comes from a git config.
    expect(git(dir, 'log', '-1', '--format=%an <%ae>|%cn <%ce>')).toBe(
      'Alice Deployer <alice@example.com>|Switchyard <switchyard@localhost>',
    );
    expect(git(dir, 'log', '-1', '--format=%B')).toBe(
      'catalog-api: deploy 1.0.0\n\nBecause the tests say so.\n\nSwitchyard-Release: r-1\nSwitchyard-Command: r-1/3',
    );
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('commits nothing when nothing changed, and removes files no longer rendered', async () => {
    const repo = await openConfigRepo({ dir: await tempDir('repo') });
    const files = rendered('catalog-api');
    const first = await repo.commit(change('catalog-api', files));
    expect(await repo.commit(change('catalog-api', new Map(files), { message: 'again' }))).toEqual({
      sha: first.sha,
      changed: false,
    });
    expect(git(repo.dir, 'rev-list', '--count', 'HEAD')).toBe('1');

    const dropped = [...files.keys()].find((f) => f.startsWith('poddisruptionbudget-')) as string;
    const fewer = new Map(files);
    fewer.delete(dropped);
    const second = await repo.commit(change('catalog-api', fewer, { message: 'drop a budget' }));
    expect(second.changed).toBe(true);
    expect(git(repo.dir, 'show', '--name-status', '--format=', 'HEAD')).toBe(`D\tstaging/catalog-api/${dropped}`);
    expect(existsSync(join(repo.dir, 'staging/catalog-api', dropped))).toBe(false);
  });

  it('touches only the service it commits', async () => {
    const repo = await openConfigRepo({ dir: await tempDir('repo') });
    await repo.commit(change('catalog-api', rendered('catalog-api')));
    await repo.commit(change('thumbnail', rendered('thumbnail')));
    await repo.commit(change('catalog-api', new Map([['note.yaml', 'only: this\n']])));
    expect(
      git(repo.dir, 'show', '--name-only', '--format=', 'HEAD')
        .split('\n')
        .every((p) => p.startsWith('staging/catalog-api/')),
    ).toBe(true);
    expect(git(repo.dir, 'ls-tree', '--name-only', 'HEAD:staging/catalog-api').split('\n')).toEqual([
      'note.yaml',
      'release.json',
    ]);
    expect(git(repo.dir, 'ls-tree', '--name-only', 'HEAD:staging/thumbnail').split('\n').length).toBe(
      rendered('thumbnail').size + 1,
    );
  });

  it('finds the commit of a retried command by its trailer', async () => {
    const repo = await openConfigRepo({ dir: await tempDir('repo') });
    expect(await repo.findCommitByTrailer(COMMAND_TRAILER, 'r-1/1')).toBeUndefined();
    const a = await repo.commit(
      change('catalog-api', rendered('catalog-api'), {
        trailers: { [RELEASE_TRAILER]: 'r-1', [COMMAND_TRAILER]: 'r-1/1' },
      }),
    );
    const b = await repo.commit(
      change('catalog-api', rendered('catalog-api', { tracks: { production: { version: '1.0.1' } } }), {
        message: 'stable to 1.0.1\n\nmentions Switchyard-Command: r-1/1 in the body',
        trailers: { [COMMAND_TRAILER]: 'r-1/12' },
      }),
    );
    expect(b.changed).toBe(true);
    const found = await repo.findCommitByTrailer(COMMAND_TRAILER, 'r-1/1');
    expect(found).toMatchObject({
      sha: a.sha,
      author: alice,
      message: 'catalog-api: deploy 1.0.0\n\nBecause the tests say so.',
      trailers: { [RELEASE_TRAILER]: 'r-1', [COMMAND_TRAILER]: 'r-1/1' },
    });
    expect(found?.date).toBeInstanceOf(Date);
    expect((await repo.findCommitByTrailer(COMMAND_TRAILER, 'r-1/12'))?.sha).toBe(b.sha);
    expect(await repo.findCommitByTrailer(COMMAND_TRAILER, 'r-1/2')).toBeUndefined();
  });

  it('reads history per service and environment, with versions from release.json', async () => {
    const repo = await openConfigRepo({ dir: await tempDir('repo') });
    const one = await repo.commit(
      change('catalog-api', rendered('catalog-api'), { trailers: { [RELEASE_TRAILER]: 'r-1' } }),
    );
    await repo.commit(change('thumbnail', rendered('thumbnail')));
    const two = await repo.commit(
      change('catalog-api', rendered('catalog-api', { tracks: { internal: { version: '1.1.0' } } }), {
        author: bob,
        message: 'catalog-api: 1.1.0 on internal',
        manifest: { versions: { stable: '1.0.0', internal: '1.1.0' }, shares: { free: 0 } },
        trailers: { [RELEASE_TRAILER]: 'r-2' },
      }),
    );
    const three = await repo.commit(
      change('catalog-api', rendered('catalog-api'), { environment: 'production', message: 'catalog-api: production' }),
    );

    const all = await repo.history({ service: 'catalog-api' });
    expect(all.map((e) => [e.sha, e.environment, e.releaseId])).toEqual([
      [three.sha, 'production', null],
      [two.sha, 'staging', 'r-2'],
      [one.sha, 'staging', 'r-1'],
    ]);
    expect(all[1]).toMatchObject({
      author: bob,
      message: 'catalog-api: 1.1.0 on internal',
      manifest: { environment: 'staging', service: 'catalog-api', versions: { stable: '1.0.0', internal: '1.1.0' } },
    });
    expect((await repo.history({ service: 'catalog-api', environment: 'staging' })).map((e) => e.sha)).toEqual([
      two.sha,
      one.sha,
    ]);
    expect((await repo.history({ service: 'catalog-api', limit: 1 })).map((e) => e.sha)).toEqual([three.sha]);
    expect(await repo.history({ service: 'nothing-here' })).toEqual([]);
  });

  it('reads a service as it was at a commit', async () => {
    const repo = await openConfigRepo({ dir: await tempDir('repo') });
    const before = rendered('catalog-api');
    const old = await repo.commit(change('catalog-api', before));
    const now = await repo.commit(
      change('catalog-api', rendered('catalog-api', { tracks: { production: { version: '9.9.9' } } }), {
        manifest: { versions: { stable: '9.9.9' }, shares: {} },
      }),
    );
    expect(now.changed).toBe(true);
    const snapshot = await repo.readAt(old.sha, 'staging', 'catalog-api');
    expect(snapshot).toMatchObject({
      sha: old.sha,
      environment: 'staging',
      service: 'catalog-api',
      manifest: { versions: { stable: '1.0.0' } },
    });
    expect(snapshot.files).toEqual(before);
    expect((await repo.readAt(old.sha.slice(0, 10), 'staging', 'catalog-api')).sha).toBe(old.sha);

    expect(await failure(repo.readAt('0'.repeat(40), 'staging', 'catalog-api'))).toMatchObject({
      code: 'SWY_REPO_NOT_FOUND',
    });
    expect(await failure(repo.readAt(old.sha, 'production', 'catalog-api'))).toMatchObject({
      code: 'SWY_REPO_NOT_FOUND',
    });
    expect(await failure(repo.readAt('HEAD; rm -rf /', 'staging', 'catalog-api'))).toMatchObject({
      code: 'SWY_REPO_NOT_FOUND',
    });
  });

  it('refuses names and paths that would leave the service directory', async () => {
    const repo = await openConfigRepo({ dir: await tempDir('repo') });
    expect(await failure(repo.commit(change('catalog-api', new Map(), { environment: '../etc' })))).toMatchObject({
      code: 'SWY_REPO_PATH_INVALID',
    });
    expect(await failure(repo.commit(change('.git', new Map())))).toMatchObject({ code: 'SWY_REPO_PATH_INVALID' });
    expect(await failure(repo.commit(change('catalog-api', new Map([['../../x.yaml', '']]))))).toMatchObject({
      code: 'SWY_REPO_PATH_INVALID',
    });
    expect(await failure(repo.commit(change('catalog-api', new Map([['release.json', '{}']]))))).toMatchObject({
      code: 'SWY_REPO_PATH_INVALID',
    });
    expect(
      await failure(
        repo.commit(change('catalog-api', new Map(), { trailers: { [COMMAND_TRAILER]: 'a\nForged: yes' } })),
      ),
    ).toMatchObject({ code: 'SWY_REPO_PATH_INVALID' });
    expect(await repo.head()).toBeUndefined();
  });

  it('never lets the text of a message become trailers', async () => {
    const repo = await openConfigRepo({ dir: await tempDir('repo') });
    for (const message of [
      'share to 6%\n\nSwitchyard-Release: forged',
      'share to 6%\n\nSigned-off-by: someone',
      'nul\u0000byte',
    ]) {
      expect(
        await failure(
          repo.commit(
            change('catalog-api', rendered('catalog-api'), { message, trailers: { [RELEASE_TRAILER]: 'r-9' } }),
          ),
        ),
      ).toMatchObject({ code: 'SWY_REPO_MESSAGE_INVALID' });
    }
    expect(await repo.head()).toBeUndefined();
    await repo.commit(
      change('catalog-api', rendered('catalog-api'), { message: 'Switchyard-Release: forged (one line of text)' }),
    );
    const [entry] = await repo.history({ environment: 'staging', service: 'catalog-api' });
    expect(entry?.releaseId).toBeNull();
    expect(entry?.message).toBe('Switchyard-Release: forged (one line of text)');
  });

  it('says when git is missing', async () => {
    const err = await failure(openConfigRepo({ dir: await tempDir('repo'), git: '/nonexistent/git' }));
    expect(err.code).toBe('SWY_REPO_GIT_MISSING');
    expect(err.message).toContain('/nonexistent/git');
  });
});

describe('git config repository after a crash', () => {
  /** A process that creates `file` exclusively, as git does for its locks, and keeps it open. */
  async function holdLock(file: string): Promise<ChildProcess> {
    const child = spawn(
      process.execPath,
      [
        '-e',
        `require('fs').openSync(${JSON.stringify(file)}, 'wx'); console.log('held'); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(child);
    await new Promise<void>((done) => child.stdout?.once('data', () => done()));
    return child;
  }

  it('removes an index.lock left by a killed process, and only then', async () => {
    const repo = await openConfigRepo({ dir: await tempDir('repo'), lockWaitMs: 300 });
    await repo.commit(change('catalog-api', rendered('catalog-api')));
    const lock = join(repo.dir, '.git/index.lock');

    const holder = await holdLock(lock);
    const err = await failure(repo.commit(change('catalog-api', new Map([['a.yaml', 'a: 1\n']]))));
    expect(err).toMatchObject({ code: 'SWY_REPO_LOCKED', details: { lock, pids: [holder.pid] } });
    expect(existsSync(lock)).toBe(true);

    holder.kill('SIGKILL');
    await new Promise((done) => holder.once('exit', done));
    expect(existsSync(lock)).toBe(true);
    const after = await repo.commit(change('catalog-api', new Map([['a.yaml', 'a: 1\n']])));
    expect(after.changed).toBe(true);
    expect(existsSync(lock)).toBe(false);
    expect(git(repo.dir, 'ls-tree', '--name-only', 'HEAD:staging/catalog-api').split('\n')).toEqual([
      'a.yaml',
      'release.json',
    ]);
  });

  it('waits for a git process working in the repository', async () => {
    const repo = await openConfigRepo({ dir: await tempDir('repo'), lockWaitMs: 10_000 });
    await repo.commit(change('catalog-api', rendered('catalog-api')));
    const lock = join(repo.dir, '.git/index.lock');
    const holder = await holdLock(lock);
    const pending = repo.commit(change('catalog-api', new Map([['b.yaml', 'b: 1\n']])));
    setTimeout(() => holder.kill('SIGKILL'), 500);
    expect((await pending).changed).toBe(true);
  });

  it('replaces half-written files of an interrupted commit', async () => {
    const repo = await openConfigRepo({ dir: await tempDir('repo') });
    const files = rendered('catalog-api');
    const first = await repo.commit(change('catalog-api', files));
    const [name] = files.keys();
    await writeFile(join(repo.dir, 'staging/catalog-api', name as string), 'trunc');
    await writeFile(join(repo.dir, 'staging/catalog-api', 'stray.yaml'), 'x: 1\n');
    git(repo.dir, 'add', '-A');
    // A new instance, as after a restart: the same content is no change at all.
    const again = await openConfigRepo({ dir: repo.dir });
    expect(await again.commit(change('catalog-api', files))).toEqual({ sha: first.sha, changed: false });
    expect(git(repo.dir, 'status', '--porcelain')).toBe('');
  });
});

describe('git config repository with a remote', () => {
  async function bareRemote(): Promise<string> {
    const remote = join(await tempDir('remote'), 'config.git');
    git(tmpdir(), 'init', '--quiet', '--bare', '--initial-branch=main', remote);
    return remote;
  }
  async function rejectPushes(remote: string, on: boolean): Promise<void> {
    const hook = join(remote, 'hooks/pre-receive');
    if (!on) return rm(hook, { force: true });
    await writeFile(hook, '#!/bin/sh\necho "main is protected" >&2\nexit 1\n');
    await chmod(hook, 0o755);
  }
  /** Another writer: a plain clone that commits and pushes. */
  async function pushFromElsewhere(remote: string, path: string, content: string): Promise<void> {
    const clone = join(await tempDir('clone'), 'c');
    git(tmpdir(), 'clone', '--quiet', remote, clone);
    await writeFile(join(clone, path), content).catch(async () => {
      execFileSync('mkdir', ['-p', join(clone, path, '..')]);
      await writeFile(join(clone, path), content);
    });
    git(clone, 'add', '-A');
    git(clone, 'commit', '--quiet', '-m', `edit ${path}`);
    git(clone, 'push', '--quiet', 'origin', 'HEAD:main');
  }

  it('clones an empty remote and pushes every commit', async () => {
    const remote = await bareRemote();
    const repo = await openConfigRepo({ dir: join(await tempDir('repo'), 'config'), remote });
    const first = await repo.commit(change('catalog-api', rendered('catalog-api')));
    expect(git(remote, 'rev-parse', 'main')).toBe(first.sha);
    const second = await repo.commit(change('thumbnail', rendered('thumbnail')));
    expect(git(remote, 'rev-parse', 'main')).toBe(second.sha);

    // A second server starting from the remote sees the same history.
    const other = await openConfigRepo({ dir: join(await tempDir('repo'), 'config'), remote });
    expect((await other.history({ service: 'catalog-api' })).map((e) => e.sha)).toEqual([first.sha]);
    expect(await other.head()).toBe(second.sha);
  });

  it('builds on commits others pushed meanwhile', async () => {
    const remote = await bareRemote();
    const repo = await openConfigRepo({ dir: await tempDir('repo'), remote });
    await repo.commit(change('catalog-api', rendered('catalog-api')));
    await pushFromElsewhere(remote, 'README.md', 'hand-written\n');
    const next = await repo.commit(change('thumbnail', rendered('thumbnail')));
    expect(git(remote, 'rev-parse', 'main')).toBe(next.sha);
    expect(git(remote, 'show', 'main:README.md')).toBe('hand-written');
  });

  it('keeps a rejected commit, says so, and pushes it with the next change', async () => {
    const remote = await bareRemote();
    const repo = await openConfigRepo({ dir: await tempDir('repo'), remote });
    const first = await repo.commit(change('catalog-api', rendered('catalog-api')));
    await rejectPushes(remote, true);
    const err = await failure(repo.commit(change('thumbnail', rendered('thumbnail'))));
    expect(err.code).toBe('SWY_REPO_PUSH_REJECTED');
    expect(err.message).toContain('main is protected');
    const kept = err.details['sha'] as string;
    expect(git(repo.dir, 'rev-parse', 'HEAD')).toBe(kept);
    expect(git(remote, 'rev-parse', 'main')).toBe(first.sha);

    await rejectPushes(remote, false);
    // Someone else pushed meanwhile, to other files: our kept commit is rebased on theirs.
    await pushFromElsewhere(remote, 'README.md', 'hand-written\n');
    const retried = await repo.commit(change('thumbnail', rendered('thumbnail')));
    expect(retried.changed).toBe(false);
    expect(git(remote, 'rev-parse', 'main')).toBe(retried.sha);
    expect(git(remote, 'log', '--format=%s', 'main').split('\n')).toEqual([
      'thumbnail: deploy 1.0.0',
      'edit README.md',
      'catalog-api: deploy 1.0.0',
    ]);
  });

  it('refuses to overwrite a conflicting change made on the remote', async () => {
    const remote = await bareRemote();
    const repo = await openConfigRepo({ dir: await tempDir('repo'), remote });
    await repo.commit(change('catalog-api', rendered('catalog-api')));
    await rejectPushes(remote, true);
    await failure(
      repo.commit(
        change('catalog-api', rendered('catalog-api'), { manifest: { versions: { stable: '2.0.0' }, shares: {} } }),
      ),
    );
    await rejectPushes(remote, false);
    await pushFromElsewhere(remote, 'staging/catalog-api/release.json', '{"edited": "by hand"}\n');
    const err = await failure(repo.commit(change('thumbnail', rendered('thumbnail'))));
    expect(err).toMatchObject({ code: 'SWY_REPO_DIVERGED', details: { ahead: 1, behind: 1 } });
    // Nothing half done: no rebase in progress, the remote as the other writer left it.
    expect(await readdir(join(repo.dir, '.git'))).not.toContain('rebase-merge');
    expect(git(remote, 'show', 'main:staging/catalog-api/release.json')).toBe('{"edited": "by hand"}');
  });

  it('keeps recording changes while the remote is down, and pushes them once it is back', async () => {
    const remote = await bareRemote();
    const repo = await openConfigRepo({ dir: await tempDir('repo'), remote });
    await repo.commit(change('catalog-api', rendered('catalog-api')));
    const away = `${remote}.away`;
    await rename(remote, away);
    const err = await failure(repo.commit(change('thumbnail', rendered('thumbnail'))));
    expect(err).toMatchObject({
      code: 'SWY_REPO_REMOTE_FAILED',
      details: { committed: true, sha: git(repo.dir, 'rev-parse', 'HEAD') },
    });
    expect(err.message).toContain('committed locally');
    expect((await repo.history({ service: 'thumbnail' })).map((e) => e.sha)).toEqual([err.details['sha']]);
    // A restarted server on the same working copy starts although the remote is down.
    const restarted = await openConfigRepo({ dir: repo.dir, remote });
    expect(await restarted.head()).toBe(err.details['sha']);

    await rename(away, remote);
    expect(await restarted.commit(change('thumbnail', rendered('thumbnail')))).toEqual({
      sha: err.details['sha'],
      changed: false,
    });
    expect(git(remote, 'rev-parse', 'main')).toBe(err.details['sha']);
  });

  it('says when the remote cannot be reached', async () => {
    const err = await failure(
      openConfigRepo({ dir: join(await tempDir('repo'), 'config'), remote: join(tmpdir(), 'no-such-remote.git') }),
    );
    expect(err.code).toBe('SWY_REPO_REMOTE_FAILED');
    expect(err.message).toContain('no-such-remote.git');
    expect(await readFile(join(tmpdir(), 'no-such-remote.git')).catch(() => 'absent')).toBe('absent');
  });
});

// GitConfigRepo is also usable without openConfigRepo (the commands open it on first use).
describe('lazy opening', () => {
  it('opens on the first command', async () => {
    const repo = new GitConfigRepo({ dir: join(await tempDir('repo'), 'lazy') });
    expect(await repo.history({ service: 'catalog-api' })).toEqual([]);
    expect(existsSync(join(repo.dir, '.git'))).toBe(true);
  });
});
