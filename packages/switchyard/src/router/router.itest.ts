import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answeredBy, get, hammer } from '../../test/support/load.js';
import { startTestFleet, type TestFleet } from '../../test/support/local-fleet.js';

/** Real HAProxy, real replica processes: how the router splits, keeps users, and changes live. */

function tally(tracks: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of tracks) out[t] = (out[t] ?? 0) + 1;
  return out;
}

async function workerPid(fleet: TestFleet): Promise<string> {
  const info = await fleet.runtime.router('api').api.send('show info');
  return /^Pid: (\d+)/m.exec(info)?.[1] ?? '';
}

describe('router distribution and stickiness', () => {
  let fleet: TestFleet;
  beforeAll(async () => {
    fleet = await startTestFleet({ shares: { free: 5, paid: 25 }, legacyShare: 0 });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  const N = 20_000;

  it.each([
    ['free', 'free', 5],
    ['paid', 'paid', 25],
  ])('sends %s users to the %s track within ±1 point of %i%%', async (group, canary, share) => {
    const answers = await hammer(fleet.url, N, () => ({ 'X-Traffic-Group': group, 'X-User-Id': randomUUID() }));
    const counts = tally(answers.map((a) => answeredBy(a).track));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(Object.keys(counts).sort()).toEqual([canary, 'production'].sort());
    expect(Math.abs(((counts[canary] ?? 0) / N) * 100 - share)).toBeLessThanOrEqual(1);
  });

  it('never sends enterprise users to a canary, even with a share set elsewhere', async () => {
    const answers = await hammer(fleet.url, N, () => ({ 'X-Traffic-Group': 'enterprise', 'X-User-Id': randomUUID() }));
    expect(tally(answers.map((a) => answeredBy(a).track))).toEqual({ production: N });
  });

  it('always sends internal users to the internal track', async () => {
    const answers = await hammer(fleet.url, N, () => ({ 'X-Traffic-Group': 'internal', 'X-User-Id': randomUUID() }));
    expect(tally(answers.map((a) => answeredBy(a).track))).toEqual({ internal: N });
  });

  it('treats requests without a group, or with an unknown one, as the default group', async () => {
    const answers = await hammer(fleet.url, 4000, (i): Record<string, string> =>
      i % 2 === 0 ? { 'X-User-Id': randomUUID() } : { 'X-Traffic-Group': 'ENTERPRISE-X', 'X-User-Id': randomUUID() },
    );
    const counts = tally(answers.map((a) => answeredBy(a).track));
    expect(Object.keys(counts).sort()).toEqual(['free', 'production']);
  });

  it('keeps the legacy share within ±1 point at 0, 1, 25, 50 and 100%', async () => {
    for (const share of [0, 1, 25, 50, 100]) {
      await fleet.runtime.router('api').setLegacyShare(share);
      // The ends are all-or-nothing: fewer requests prove them.
      const n = share === 0 || share === 100 ? 2000 : N;
      const answers = await hammer(fleet.url, n, () => ({
        'X-Traffic-Group': 'enterprise',
        'X-User-Id': randomUUID(),
      }));
      const legacy = answers.filter((a) => answeredBy(a).track === 'legacy').length;
      expect(Math.abs((legacy / n) * 100 - share), `legacy share ${share}`).toBeLessThanOrEqual(1);
    }
    await fleet.runtime.router('api').setLegacyShare(0);
  });

  it('keeps each of 1,000 users on one track, and no canary user goes back when the share grows', async () => {
    const router = fleet.runtime.router('api');
    await router.setShare('free', 5);
    const users = Array.from({ length: 1000 }, () => randomUUID());
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const trackOf = async (user: string) =>
      answeredBy(await get(agent, fleet.url, { 'X-Traffic-Group': 'free', 'X-User-Id': user })).track;
    const before = new Map<string, string>();
    for (const user of users) {
      const seen = new Set([await trackOf(user), await trackOf(user), await trackOf(user)]);
      expect(seen.size, `user ${user} saw ${[...seen].join(', ')}`).toBe(1);
      before.set(user, [...seen][0] as string);
    }
    const onCanaryBefore = users.filter((u) => before.get(u) === 'free');
    expect(onCanaryBefore.length).toBeGreaterThan(20);
    await router.setShare('free', 25);
    const after = new Map<string, string>();
    for (const user of users) after.set(user, await trackOf(user));
    expect(onCanaryBefore.filter((u) => after.get(u) !== 'free')).toEqual([]);
    const onCanaryAfter = users.filter((u) => after.get(u) === 'free').length;
    expect(onCanaryAfter).toBeGreaterThan(onCanaryBefore.length);
    agent.destroy();
  });

  it('keeps users on one track by cookie as well', async () => {
    const cookieFleet = await startTestFleet({ userKey: { cookie: 'session' }, shares: { free: 50 } });
    try {
      const agent = new Agent({ keepAlive: true });
      for (let i = 0; i < 200; i++) {
        const cookie = `session=${randomUUID()}`;
        const a = answeredBy(await get(agent, cookieFleet.url, { 'X-Traffic-Group': 'free', cookie })).track;
        const b = answeredBy(await get(agent, cookieFleet.url, { 'X-Traffic-Group': 'free', cookie })).track;
        expect(b).toBe(a);
      }
      agent.destroy();
    } finally {
      await cookieFleet.stop();
    }
  });

  it('changes shares live: the HAProxy process is the same and the map on disk follows', async () => {
    const pid = await workerPid(fleet);
    await fleet.runtime.router('api').setShare('paid', 12.5);
    expect(await workerPid(fleet)).toBe(pid);
    expect(readFileSync(join(fleet.dataDir, 'routers/api/shares.map'), 'utf8')).toBe('free 2500\npaid 1250\n');
    const live = await fleet.runtime
      .router('api')
      .api.send(`show map ${join(fleet.dataDir, 'routers/api/shares.map')}`);
    expect(live).toMatch(/paid 1250/);
  });
});

describe('rendered router configuration', () => {
  it('is accepted by HAProxy for every service of every example environment', async () => {
    const { spawnSync } = await import('node:child_process');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { readConfig } = await import('../config-dir/index.js');
    const { resolveAll } = await import('../spec/index.js');
    const { renderFleet } = await import('../render/index.js');
    const { findHaproxy } = await import('../runtime/index.js');
    const { REPO_ROOT } = await import('../../test/support/cli.js');
    const haproxy = findHaproxy();
    let checked = 0;
    for (const fleet of resolveAll(await readConfig(join(REPO_ROOT, 'examples/video-platform')))) {
      for (const object of renderFleet(fleet).flatMap((u) => u.objects)) {
        if (object.kind !== 'ConfigMap') continue;
        const dir = mkdtempSync(join(tmpdir(), 'sy-cfg-'));
        for (const [file, content] of Object.entries(object.data as Record<string, string>)) {
          writeFileSync(
            join(dir, file),
            content.replaceAll('/usr/local/etc/haproxy', dir).replaceAll('/var/run/haproxy', dir),
          );
        }
        const check = spawnSync(haproxy.path, ['-c', '-f', join(dir, 'haproxy.cfg')], { encoding: 'utf8' });
        expect(check.status, `${fleet.environment.name}/${object.metadata.name}: ${check.stderr}`).toBe(0);
        checked++;
      }
    }
    expect(checked).toBe(12);
  });
});
