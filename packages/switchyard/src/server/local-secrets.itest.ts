import { chmodSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/cli.js';
import { call } from '../../test/support/release.js';
import { startUp as startUpProcess, writeUpFleet, type UpProcess } from '../../test/support/up.js';

/**
 * What a data directory and the CLI's credentials hold on disk, through the built CLI as a
 * user runs it: private modes at every start, and the owner's way back in when admin.token is lost.
 */

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8).padStart(4, '0');
const DATA_DIRS = ['store', 'config-repo', 'logs', 'routers'];

// A failed assertion must not leave a fleet running.
const started: UpProcess[] = [];
const startUp = (...args: Parameters<typeof startUpProcess>) => {
  const up = startUpProcess(...args);
  started.push(up);
  return up;
};
afterEach(async () => {
  for (const up of started.splice(0)) if (up.child.exitCode === null) await up.stop();
});

describe('a data directory on disk', () => {
  it('is private from the first start, and a later start tightens what was loosened, saying so', async () => {
    const { dir, api } = await writeUpFleet();
    const dataDir = join(await mkdtemp(join(tmpdir(), 'sy-secrets-')), 'data');
    const home = await mkdtemp(join(tmpdir(), 'sy-home-'));
    const credentials = join(home, 'switchyard/credentials.json');

    const first = startUp(dir, dataDir, { XDG_CONFIG_HOME: home });
    await first.ready();
    expect(await first.stop()).toBe(0);
    const fresh = Object.fromEntries(
      [
        dataDir,
        ...DATA_DIRS.map((d) => join(dataDir, d)),
        join(dataDir, 'admin.token'),
        join(home, 'switchyard'),
        credentials,
      ].map((p) => [p, mode(p)]),
    );
    expect(fresh).toEqual({
      [dataDir]: '0700',
      ...Object.fromEntries(DATA_DIRS.map((d) => [join(dataDir, d), '0700'])),
      [join(dataDir, 'admin.token')]: '0600',
      [join(home, 'switchyard')]: '0700',
      [credentials]: '0600',
    });
    expect(first.output()).not.toContain('readable by others');

    // What an older Switchyard (or a careless copy) left: everything readable by everyone.
    for (const d of [dataDir, ...DATA_DIRS.map((d) => join(dataDir, d)), join(home, 'switchyard')]) chmodSync(d, 0o755);
    chmodSync(join(dataDir, 'admin.token'), 0o644);
    chmodSync(credentials, 0o644);

    const second = startUp(dir, dataDir, { XDG_CONFIG_HOME: home });
    await second.ready();
    const lines = second
      .output()
      .split('\n')
      .filter((l) => l.includes('readable by others'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(
      `${dataDir} 0755 → 0700, admin.token 0644 → 0600, config-repo 0755 → 0700, logs 0755 → 0700, routers 0755 → 0700, store 0755 → 0700`,
    );
    expect(lines[1]).toContain(`${join(home, 'switchyard')} 0755 → 0700, credentials.json 0644 → 0600`);
    expect(await second.stop()).toBe(0);
    for (const d of [dataDir, ...DATA_DIRS.map((d) => join(dataDir, d)), join(home, 'switchyard')])
      expect(mode(d), d).toBe('0700');
    expect(mode(join(dataDir, 'admin.token'))).toBe('0600');
    expect(mode(credentials)).toBe('0600');
    expect(JSON.parse(readFileSync(credentials, 'utf8'))).toEqual({
      [api]: readFileSync(join(dataDir, 'admin.token'), 'utf8').trim(),
    });
  });

  it('lets the owner recover a lost admin token: up names the command, recover revokes the old token and mints a new one', async () => {
    const { dir, api } = await writeUpFleet();
    const dataDir = await mkdtemp(join(tmpdir(), 'sy-recover-'));
    const home = await mkdtemp(join(tmpdir(), 'sy-home-'));
    const env = { XDG_CONFIG_HOME: home };
    const recover = ['token', 'recover', dir, '--env', 'sandbox', '--data-dir', dataDir];

    const first = startUp(dir, dataDir, env);
    await first.ready();
    const lost = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
    const whileRunning = await runCli(recover, { env });
    expect(whileRunning.code, whileRunning.stderr).toBe(75);
    expect(whileRunning.stderr).toContain(
      `SWY_STORE_LOCKED: Switchyard is running on ${dataDir} (process ${first.child.pid}): stop it`,
    );
    expect(await first.stop()).toBe(0);

    rmSync(join(dataDir, 'admin.token'));
    const refused = await runCli(['up', dir, '--data-dir', dataDir], { env });
    expect(refused.code, refused.stderr).toBe(77);
    expect(refused.stderr).toContain('SWY_SERVER_ADMIN_TOKEN_LOST');
    expect(refused.stderr).toContain(
      `hint: Stop Switchyard if it runs, then run on this machine: switchyard token recover ${dir} --env sandbox --data-dir ${dataDir}`,
    );

    const recovered = await runCli(recover, { env });
    expect(recovered.code, recovered.stderr).toBe(0);
    const user = userInfo().username;
    expect(recovered.stdout).toMatch(
      new RegExp(
        `revoked the admin token [0-9a-f-]{36}\\n✔ new admin token in ${join(dataDir, 'admin.token')} \\(0600\\) and ${join(home, 'switchyard/credentials.json')}; audited as local:${user}`,
      ),
    );
    const secret = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
    expect(secret).toMatch(/^swy_/);
    expect(secret).not.toBe(lost);
    expect(mode(join(dataDir, 'admin.token'))).toBe('0600');

    const second = startUp(dir, dataDir, env);
    await second.ready();
    try {
      expect((await call(api, `Bearer ${lost}`, 'GET', '/v1/status')).status).toBe(401);
      const listed = await runCli(['token', 'list', '-o', 'json'], { env: { ...env, SWITCHYARD_API: api } });
      expect(listed.code, listed.stderr).toBe(0);
      const tokens = (
        JSON.parse(listed.stdout) as {
          tokens: { name: string; createdBy: string; revokedAt: string | null; revokedBy: string | null }[];
        }
      ).tokens;
      expect(
        tokens.map((t) => ({
          name: t.name,
          createdBy: t.createdBy,
          revoked: t.revokedAt !== null,
          revokedBy: t.revokedBy,
        })),
      ).toEqual([
        { name: 'admin', createdBy: `local:${user}`, revoked: true, revokedBy: `local:${user}` },
        { name: 'admin', createdBy: `local:${user}`, revoked: false, revokedBy: null },
      ]);
      const audit = await call<{ entries: { actor: string; action: string; outcome: string }[] }>(
        api,
        `Bearer ${secret}`,
        'GET',
        `/v1/audit?actor=${encodeURIComponent(`local:${user}`)}`,
      );
      expect(audit.body.entries.map((e) => `${e.action} ${e.outcome}`)).toEqual([
        'token.create succeeded',
        'token.revoke succeeded',
        'token.create succeeded',
      ]);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });
});
