import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../store/index.js';
import { type TestFleet } from '../../test/support/local-fleet.js';
import {
  call,
  failingVerdict,
  releaseFleet,
  terminal,
  Traffic,
  waitForRelease,
  type ReleaseBody,
} from '../../test/support/release.js';

/**
 * Releases end to end on the local runtime with real HAProxy: the stages, the router's
 * shares, the gates, the automatic rollback, the config repository, the API's refusals.
 */

async function deploy(fleet: TestFleet, version: string, extra: Record<string, unknown> = {}, auth = fleet.auth) {
  return call<ReleaseBody & { error?: { code: string; message: string } }>(fleet.api, auth, 'POST', '/v1/releases', {
    service: 'api',
    version,
    ...extra,
  });
}

async function versions(fleet: TestFleet): Promise<Record<string, string>> {
  return fleet.runtime.current('api').versions;
}

describe('a release on the local runtime', () => {
  let fleet: TestFleet;
  beforeAll(async () => {
    fleet = await releaseFleet();
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('takes a good version through all four stages, one commit per change, no request lost', async () => {
    const traffic = new Traffic(fleet.url, ['free', 'paid', 'enterprise', 'internal']);
    const started = await deploy(fleet, '1.1.0', { reason: 'new catalog filters' });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const waiting = await waitForRelease(
      fleet.api,
      fleet.auth,
      started.body.id,
      (r) => r.phase === 'awaiting-approval',
    );
    expect(waiting.stage?.name).toBe('internal');
    expect((await versions(fleet)).internal).toBe('1.1.0');
    const approved = await call<ReleaseBody>(fleet.api, fleet.auth, 'POST', `/v1/releases/${started.body.id}/approve`, {
      reason: 'QA passed',
    });
    expect(approved.status).toBe(200);
    const done = await waitForRelease(fleet.api, fleet.auth, started.body.id, terminal);
    await traffic.stop();
    expect(done.status, done.outcome ?? '').toBe('succeeded');
    expect(await versions(fleet)).toEqual({ internal: '1.1.0', free: '1.1.0', paid: '1.1.0', production: '1.1.0' });
    expect(fleet.runtime.router('api').currentRouting().shares).toEqual({ free: 5, paid: 5 });
    expect(traffic.failures()).toBe(0);
    expect(traffic.seen.length).toBeGreaterThan(200);

    const history = await call<{
      commits: {
        message: string;
        releaseId: string | null;
        manifest: { versions: Record<string, string>; shares: Record<string, number> };
      }[];
    }>(fleet.api, fleet.auth, 'GET', '/v1/services/api/history');
    const mine = history.body.commits.filter((c) => c.releaseId === started.body.id).reverse();
    expect(mine.map((c) => c.message.split('\n')[0])).toEqual([
      'api 1.1.0: stage internal (track internal)',
      'api 1.1.0: stage free (track free, 50% of free)',
      'api 1.1.0: stage paid (track paid, 50% of paid)',
      'api 1.1.0: stage production (track production)',
      'api 1.1.0: released to every track',
    ]);
    expect(mine.map((c) => c.manifest.shares)).toEqual([
      { free: 5, paid: 5 },
      { free: 50, paid: 5 },
      { free: 50, paid: 50 },
      { free: 50, paid: 50 },
      { free: 5, paid: 5 },
    ]);
    expect(mine.map((c) => c.manifest.versions.free)).toEqual(['1.0.0', '1.1.0', '1.1.0', '1.1.0', '1.1.0']);
  });

  it('rolls a bad version back at its first public stage; enterprise and production users see no failure', async () => {
    const traffic = new Traffic(fleet.url, ['free', 'paid', 'enterprise']);
    const started = await deploy(fleet, '1.2.0-fail20');
    expect(started.status).toBe(201);
    await waitForRelease(fleet.api, fleet.auth, started.body.id, (r) => r.phase === 'awaiting-approval');
    await call(fleet.api, fleet.auth, 'POST', `/v1/releases/${started.body.id}/approve`, {});
    const done = await waitForRelease(fleet.api, fleet.auth, started.body.id, terminal);
    await traffic.stop();
    expect(done.status).toBe('rolled-back');
    expect(done.outcome).toMatch(
      /^stage free: free failed error-ratio-vs-stable \d+\.\d\d% \(≤ \+2\.00% over stable \(\d+\.\d\d%\)\), error-ratio \d+\.\d\d% \(≤ 5\.00%\) over \d+ requests$/,
    );
    expect(await versions(fleet)).toEqual({ internal: '1.1.0', free: '1.1.0', paid: '1.1.0', production: '1.1.0' });
    expect(fleet.runtime.router('api').currentRouting()).toMatchObject({ shares: { free: 5, paid: 5 } });
    expect(fleet.runtime.router('api').currentRouting().routes).toBeUndefined();
    expect(traffic.failures((s) => s.group === 'enterprise')).toBe(0);
    expect(traffic.failures((s) => s.track === 'production')).toBe(0);
    expect(traffic.failures((s) => s.track === 'free')).toBeGreaterThan(0);
    const failing = await failingVerdict(fleet.api, fleet.auth, started.body.id);
    expect(failing?.gates.find((g) => g.gate === 'error-ratio')?.value).toBeGreaterThan(0.1);
  });

  it('refuses a second deploy while one runs, naming it; the first goes on', async () => {
    const [a, b] = await Promise.all([deploy(fleet, '1.3.0'), deploy(fleet, '1.3.0')]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([201, 409]);
    const winner = a.status === 201 ? a : b;
    const loser = a.status === 201 ? b : a;
    expect(loser.body.error?.code).toBe('SWY_RELEASE_CONFLICT');
    expect(loser.body.error?.message).toContain(winner.body.id);
    const aborted = await call<ReleaseBody>(fleet.api, fleet.auth, 'POST', `/v1/releases/${winner.body.id}/abort`, {
      reason: 'test over',
    });
    expect(aborted.status).toBe(200);
    const done = await waitForRelease(fleet.api, fleet.auth, winner.body.id, terminal);
    expect(done.status).toBe('aborted');
    expect(await versions(fleet)).toEqual({ internal: '1.1.0', free: '1.1.0', paid: '1.1.0', production: '1.1.0' });
  });

  it('answers a retried deploy with the same Idempotency-Key with the first answer', async () => {
    const key = randomUUID();
    const first = await call<ReleaseBody>(
      fleet.api,
      fleet.auth,
      'POST',
      '/v1/releases',
      { service: 'api', version: '1.3.0' },
      { 'idempotency-key': key },
    );
    const again = await call<ReleaseBody>(
      fleet.api,
      fleet.auth,
      'POST',
      '/v1/releases',
      { service: 'api', version: '1.3.0' },
      { 'idempotency-key': key },
    );
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    await call(fleet.api, fleet.auth, 'POST', `/v1/releases/${first.body.id}/abort`, { reason: 'test over' });
    const other = await call<{ error: { code: string } }>(
      fleet.api,
      fleet.auth,
      'POST',
      '/v1/releases',
      { service: 'api', version: '1.0.0' },
      { 'idempotency-key': key },
    );
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('SWY_STORE_IDEMPOTENCY_MISMATCH');
    await waitForRelease(fleet.api, fleet.auth, first.body.id, terminal);
  });

  it('refuses unknown services, versions and plans, and changes nothing', async () => {
    const before = await call<{ releases: unknown[] }>(fleet.api, fleet.auth, 'GET', '/v1/releases?limit=500');
    const cases: [Record<string, unknown>, number, string, RegExp][] = [
      [
        { service: 'nope', version: '1.3.0' },
        404,
        'SWY_SPEC_SERVICE_NOT_FOUND',
        /The service nope is not running here/,
      ],
      [
        { service: 'api', version: '9.9.9' },
        404,
        'SWY_RELEASE_VERSION_UNKNOWN',
        /api has no version 9\.9\.9: .*builds\/9\.9\.9\/server\.mjs does not exist/,
      ],
      [{ service: 'api', version: 'bad/tag' }, 400, 'SWY_API_BAD_REQUEST', /version must be an image tag|Invalid/],
      [
        { service: 'api', version: '1.3.0', plan: 'blue-green' },
        404,
        'SWY_RELEASE_PLAN_NOT_FOUND',
        /api has no release plan blue-green/,
      ],
      [{ service: 'api', version: '1.1.0' }, 409, 'SWY_RELEASE_NOTHING_TO_DO', /already runs 1\.1\.0 on every track/],
    ];
    for (const [body, status, code, message] of cases) {
      const r = await call<{ error: { code: string; message: string; hint: string } }>(
        fleet.api,
        fleet.auth,
        'POST',
        '/v1/releases',
        body,
      );
      expect(r.status, JSON.stringify(r.body)).toBe(status);
      expect(r.body.error.code).toBe(code);
      expect(r.body.error.message).toMatch(message);
      expect(r.body.error.hint.length).toBeGreaterThan(10);
    }
    const after = await call<{ releases: unknown[] }>(fleet.api, fleet.auth, 'GET', '/v1/releases?limit=500');
    expect(after.body.releases.length).toBe(before.body.releases.length);
    expect(await versions(fleet)).toEqual({ internal: '1.1.0', free: '1.1.0', paid: '1.1.0', production: '1.1.0' });
  });

  it('rolls back to the previous version in one action', async () => {
    const r = await call<ReleaseBody & { plan: string }>(fleet.api, fleet.auth, 'POST', '/v1/services/api/rollback', {
      reason: 'customer report',
    });
    expect(r.status).toBe(202);
    expect(r.body.plan).toBe('rollback');
    const done = await waitForRelease(fleet.api, fleet.auth, r.body.id, terminal);
    expect(done.status).toBe('succeeded');
    expect(await versions(fleet)).toEqual({ internal: '1.0.0', free: '1.0.0', paid: '1.0.0', production: '1.0.0' });
  });

  it('writes every mutating call to the append-only audit log', async () => {
    const audit = await call<{ entries: { action: string; outcome: string; actor: string; reason: string | null }[] }>(
      fleet.api,
      fleet.auth,
      'GET',
      '/v1/audit?limit=200',
    );
    const actions = audit.body.entries.map((e) => `${e.action}:${e.outcome}`);
    expect(actions).toContain('release.deploy:succeeded');
    expect(actions).toContain('release.deploy:failed');
    expect(actions).toContain('release.approve:succeeded');
    expect(actions).toContain('release.abort:succeeded');
    expect(actions).toContain('service.rollback:succeeded');
    expect(audit.body.entries.find((e) => e.action === 'service.rollback')?.reason).toBe('customer report');
    const tamper = await fleet.server.store.query('UPDATE audit_log SET actor = $1', ['mallory']).then(
      () => 'updated',
      (err: Error) => err.message,
    );
    expect(tamper).not.toBe('updated');
  });
});

describe('who may release where, and when', () => {
  let fleet: TestFleet;
  const now = new Date();
  const hhmm = (d: Date) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  beforeAll(async () => {
    fleet = await releaseFleet({
      environment: {
        protected: true,
        freezes: [
          {
            name: 'match-night',
            from: hhmm(new Date(now.getTime() - 60_000)),
            to: hhmm(new Date(now.getTime() + 3 * 3_600_000)),
            timezone: 'UTC',
          },
        ],
      },
    });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('refuses a deployer token in a protected environment, and audits the refusal', async () => {
    const { secret } = await createToken(fleet.server.store, { name: 'ci-bot', roles: { '*': 'deployer' } });
    const r = await deploy(fleet, '1.1.0', {}, `Bearer ${secret}`);
    expect(r.status).toBe(403);
    expect(r.body.error?.code).toBe('SWY_API_FORBIDDEN');
    expect(r.body.error?.message).toMatch(
      /ci-bot may not deploy in sandbox: it needs the approver role there \(a protected environment\) and holds deployer/,
    );
    const audit = await call<{ entries: { actor: string; action: string; outcome: string }[] }>(
      fleet.api,
      fleet.auth,
      'GET',
      '/v1/audit?actor=ci-bot',
    );
    expect(audit.body.entries[0]).toMatchObject({ actor: 'ci-bot', action: 'release.deploy', outcome: 'denied' });
  });

  it('refuses a request without a token', async () => {
    const r = await deploy(fleet, '1.1.0', {}, '');
    expect(r.status).toBe(401);
    expect(r.body.error?.code).toBe('SWY_API_UNAUTHENTICATED');
  });

  it('refuses a deploy into a freeze; an admin may override with a reason, which is audited', async () => {
    const frozen = await deploy(fleet, '1.1.0');
    expect(frozen.status).toBe(403);
    expect(frozen.body.error?.code).toBe('SWY_RELEASE_FROZEN');
    expect(frozen.body.error?.message).toMatch(
      /Deploys to sandbox are frozen now \(match-night: \d\d:\d\d → \d\d:\d\d UTC\)/,
    );
    const noReason = await deploy(fleet, '1.1.0', { overrideFreeze: true });
    expect(noReason.status).toBe(400);
    const { secret } = await createToken(fleet.server.store, { name: 'lead', roles: { sandbox: 'approver' } });
    const notAdmin = await deploy(
      fleet,
      '1.1.0',
      { overrideFreeze: true, reason: 'hotfix for the live player' },
      `Bearer ${secret}`,
    );
    expect(notAdmin.status).toBe(403);
    const override = await deploy(fleet, '1.1.0', { overrideFreeze: true, reason: 'hotfix for the live player' });
    expect(override.status).toBe(201);
    const audit = await call<{ entries: { action: string; outcome: string; reason: string | null }[] }>(
      fleet.api,
      fleet.auth,
      'GET',
      '/v1/audit?action=release.deploy',
    );
    expect(audit.body.entries[0]).toMatchObject({ outcome: 'succeeded', reason: 'hotfix for the live player' });
    await call(fleet.api, fleet.auth, 'POST', `/v1/releases/${override.body.id}/abort`, { reason: 'test over' });
    await waitForRelease(fleet.api, fleet.auth, override.body.id, terminal);
  });
});
