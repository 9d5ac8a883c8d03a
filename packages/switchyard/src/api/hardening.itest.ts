import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../store/index.js';
import { freshDatabase } from '../../test/support/bed.js';
import { runCli } from '../../test/support/cli.js';
import { startTestFleet, type FleetOptions, type TestFleet } from '../../test/support/local-fleet.js';
import { BUILDS, call, terminal, waitForRelease, type ReleaseBody } from '../../test/support/release.js';

/**
 * The API probed as a hostile or careless user would: roles and freezes on every route,
 * nothing live without a record, catalogue answers for malformed calls, refusals audited.
 */

type ErrorBody = { error: { code: string; message: string; hint: string; requestId?: string } };

/** Stages that pass on their own within seconds, without traffic: a version is released quickly. */
const QUICK_RELEASE = {
  command: ['node', 'builds/{version}/server.mjs'],
  release: {
    minRequests: 0,
    interval: '1s',
    gates: [{ metric: 'error-ratio', max: 0.5 }],
    stages: [
      { name: 'internal', track: 'internal', duration: '1s' },
      { name: 'free', track: 'free', shares: { free: 50 }, duration: '1s' },
      { name: 'paid', track: 'paid', shares: { paid: 50 }, duration: '1s' },
      { name: 'production', track: 'production', duration: '1s' },
    ],
  },
};

const VERSIONS = ['1.5.0', '1.6.0-fail50'];
const MORE_BUILDS = Object.fromEntries(
  VERSIONS.map((v) => [`builds/${v}/server.mjs`, BUILDS['builds/1.0.0/server.mjs'] as string]),
);

function quickFleet(options: FleetOptions = {}): Promise<TestFleet> {
  return startTestFleet({
    tickMs: 200,
    ...options,
    service: { ...QUICK_RELEASE, ...options.service },
    files: { ...BUILDS, ...MORE_BUILDS, ...options.files },
  });
}

async function release(fleet: TestFleet, version: string, extra: Record<string, unknown> = {}): Promise<ReleaseBody> {
  const started = await call<ReleaseBody>(fleet.api, fleet.auth, 'POST', '/v1/releases', {
    service: 'api',
    version,
    ...extra,
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return waitForRelease(fleet.api, fleet.auth, started.body.id, terminal);
}

async function tokenFor(
  fleet: TestFleet,
  name: string,
  roles: Record<string, 'viewer' | 'deployer' | 'approver' | 'admin'>,
): Promise<string> {
  const { secret } = await createToken(fleet.server.store, { name, roles });
  return `Bearer ${secret}`;
}

const versions = (fleet: TestFleet) => fleet.runtime.current('api').versions;

/** The share HAProxy itself holds for a group (not what Switchyard believes). */
async function liveShare(fleet: TestFleet, group: string): Promise<string> {
  const router = fleet.runtime.router('api');
  const maps = await router.api.send('show map');
  const file = /^-?\d+ \((\S*shares\.map)\)/m.exec(maps)?.[1] ?? '';
  const entries = await router.api.send(`show map ${file}`);
  return new RegExp(`^\\S+ ${group} (\\d+)$`, 'm').exec(entries)?.[1] ?? 'missing';
}

async function auditEntries(fleet: TestFleet, query = 'limit=1000') {
  return (
    await call<{
      entries: {
        action: string;
        outcome: string;
        actor: string;
        target: string;
        reason: string | null;
        details: Record<string, unknown>;
      }[];
    }>(fleet.api, fleet.auth, 'GET', `/v1/audit?${query}`)
  ).body.entries;
}

/** Malformed calls of every kind: each a catalogue 4xx that names no server path. */
async function expectCatalogueAnswers(fleet: TestFleet): Promise<void> {
  const cases: [string, string, unknown, number][] = [
    ['GET', '/v1/services/ap%00i/history', undefined, 400],
    ['GET', '/v1/releases?service=a%00b', undefined, 400],
    ['GET', '/v1/releases/%00', undefined, 400],
    ['POST', '/v1/releases', { service: 'api\u0000', version: '1.5.0' }, 400],
    ['POST', '/v1/releases', { service: 'api', version: '1.5.0', reason: 'why\u0000' }, 400],
    ['GET', '/v1/audit?actor=%00', undefined, 400],
    ['POST', '/v1/releases', { service: 'api', version: '1.5.0', plan: '__proto__' }, 400],
    ['POST', '/v1/releases', { service: 'api', version: '1.5.0', plan: 'constructor' }, 404],
    ['POST', '/v1/releases', { service: 'api', version: '1.5.0', plan: 'toString' }, 400],
    ['POST', '/v1/releases', { service: 'api', version: '1.5.0', plan: 'hasownproperty' }, 404],
    ['GET', `/v1/services/${'a'.repeat(500)}/history`, undefined, 414],
    ['GET', '/v1/services/unknown/history', undefined, 404],
    ['GET', '/v1/services/unknown/figures', undefined, 404],
  ];
  for (const [method, path, body, status] of cases) {
    const r = await call<ErrorBody>(fleet.api, fleet.auth, method, path, body);
    expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).toBe(status);
    expect(String(r.body.error?.code), `${method} ${path}: ${JSON.stringify(r.body).slice(0, 300)}`).toMatch(
      /^SWY_[A-Z]+_/,
    );
    expect(JSON.stringify(r.body)).not.toContain(fleet.dataDir);
  }
}

describe('rollback is not a back door', () => {
  let fleet: TestFleet;
  beforeAll(async () => {
    fleet = await quickFleet({ environment: { protected: true } });
    expect((await release(fleet, '1.1.0')).status).toBe('succeeded');
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('refuses a rollback to a version never released here, whoever asks; it is a deploy', async () => {
    const deployer = await tokenFor(fleet, 'dev', { '*': 'deployer' });
    for (const auth of [deployer, fleet.auth]) {
      const r = await call<ErrorBody>(fleet.api, auth, 'POST', '/v1/services/api/rollback', {
        to: '1.6.0-fail50',
        reason: 'sneak it in',
      });
      expect(r.status, JSON.stringify(r.body)).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
    }
    const asAdmin = await call<ErrorBody>(fleet.api, fleet.auth, 'POST', '/v1/services/api/rollback', {
      to: '1.6.0-fail50',
    });
    expect(asAdmin.body.error.code).toBe('SWY_RELEASE_NEVER_RELEASED');
    expect(asAdmin.body.error.hint).toMatch(/switchyard deploy/);
    await new Promise((r) => setTimeout(r, 1500));
    expect(versions(fleet)).toEqual({ internal: '1.1.0', free: '1.1.0', paid: '1.1.0', production: '1.1.0' });
  });

  it('refuses the rollback plan through a deploy', async () => {
    const r = await call<ErrorBody>(fleet.api, fleet.auth, 'POST', '/v1/releases', {
      service: 'api',
      version: '1.6.0-fail50',
      plan: 'rollback',
    });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/switchyard rollback/);
  });

  it('needs the approver role in a protected environment to go back to a released version', async () => {
    const deployer = await tokenFor(fleet, 'dev2', { sandbox: 'deployer' });
    const refused = await call<ErrorBody>(fleet.api, deployer, 'POST', '/v1/services/api/rollback', { to: '1.0.0' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/needs the approver role there \(a protected environment\)/);
    const approver = await tokenFor(fleet, 'lead', { sandbox: 'approver' });
    const done = await call<ReleaseBody>(fleet.api, approver, 'POST', '/v1/services/api/rollback', {
      to: '1.0.0',
      reason: 'player regression',
    });
    expect(done.status, JSON.stringify(done.body)).toBe(202);
    expect((await waitForRelease(fleet.api, fleet.auth, done.body.id, terminal)).status).toBe('succeeded');
    expect(versions(fleet)).toEqual({ internal: '1.0.0', free: '1.0.0', paid: '1.0.0', production: '1.0.0' });
  });
});

describe('a freeze stops what widens exposure on every route, not what ends an incident', () => {
  let fleet: TestFleet;
  let approver: string;
  const now = new Date();
  const hhmm = (d: Date) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  beforeAll(async () => {
    const before = await quickFleet();
    expect((await release(before, '1.1.0')).status).toBe('succeeded');
    await before.stop();
    const freezes = [
      {
        name: 'match-night',
        from: hhmm(new Date(now.getTime() - 60_000)),
        to: hhmm(new Date(now.getTime() + 3 * 3_600_000)),
        timezone: 'UTC',
      },
    ];
    fleet = await quickFleet({ dataDir: before.dataDir, environment: { freezes } });
    approver = await tokenFor(fleet, 'lead', { '*': 'approver' });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('refuses widening a canary share, allows narrowing it', async () => {
    const wider = await call<ErrorBody>(fleet.api, approver, 'PUT', '/v1/services/api/groups/free/share', {
      share: 100,
    });
    expect(wider.status).toBe(403);
    expect(wider.body.error.code).toBe('SWY_RELEASE_FROZEN');
    expect(fleet.runtime.router('api').currentRouting().shares.free).toBe(5);
    const narrower = await call(fleet.api, approver, 'PUT', '/v1/services/api/groups/free/share', {
      share: 1,
      reason: 'less exposure tonight',
    });
    expect(narrower.status).toBe(200);
    expect(fleet.runtime.router('api').currentRouting().shares.free).toBe(1);
  });

  it('refuses a version that was never released on a track; replica changes stay possible', async () => {
    const unreleased = await call<ErrorBody>(fleet.api, approver, 'PUT', '/v1/services/api/tracks/free', {
      version: '1.5.0',
    });
    expect(unreleased.status).toBe(403);
    expect(unreleased.body.error.code).toBe('SWY_RELEASE_FROZEN');
    expect(versions(fleet).free).toBe('1.1.0');
    const scaled = await call(fleet.api, approver, 'PUT', '/v1/services/api/tracks/free', {
      replicas: 3,
      reason: 'evening peak',
    });
    expect(scaled.status).toBe(200);
  });

  it('holds a release started with an override at its stage, and refuses approve and promote without one', async () => {
    const started = await call<ReleaseBody>(fleet.api, fleet.auth, 'POST', '/v1/releases', {
      service: 'api',
      version: '1.5.0',
      overrideFreeze: true,
      reason: 'hotfix for the live player',
    });
    expect(started.status).toBe(201);
    await new Promise((r) => setTimeout(r, 4000));
    const held = await call<ReleaseBody>(fleet.api, fleet.auth, 'GET', `/v1/releases/${started.body.id}`);
    expect(held.body.stage?.name).toBe('internal');
    expect(held.body.verdict?.summary).toMatch(/held by the freeze match-night/);
    const promote = await call<ErrorBody>(fleet.api, approver, 'POST', `/v1/releases/${started.body.id}/promote`, {});
    expect(promote.status).toBe(403);
    expect(promote.body.error.code).toBe('SWY_RELEASE_FROZEN');
    const overridden = await call<ReleaseBody>(
      fleet.api,
      fleet.auth,
      'POST',
      `/v1/releases/${started.body.id}/promote`,
      { overrideFreeze: true, reason: 'hotfix must reach free users' },
    );
    expect(overridden.status, JSON.stringify(overridden.body)).toBe(200);
    expect(overridden.body.stage?.name).toBe('free');
    const aborted = await call(fleet.api, approver, 'POST', `/v1/releases/${started.body.id}/abort`, {
      reason: 'freeze',
    });
    expect(aborted.status).toBe(200);
    await waitForRelease(fleet.api, fleet.auth, started.body.id, terminal);
  });

  it('says so through the CLI, and lets an admin override with a reason', async () => {
    const env = { SWITCHYARD_API: fleet.api, SWITCHYARD_TOKEN: approver.replace(/^Bearer /, '') };
    const frozen = await runCli(['traffic', 'share', 'api', 'paid', '50'], { env });
    expect(frozen.code, frozen.stderr).toBe(77);
    expect(frozen.stderr).toMatch(
      /SWY_RELEASE_FROZEN: Widening the paid share of api in sandbox is frozen now \(match-night/,
    );
    const admin = { SWITCHYARD_API: fleet.api, SWITCHYARD_TOKEN: fleet.auth.replace(/^Bearer /, '') };
    const overridden = await runCli(
      ['traffic', 'share', 'api', 'paid', '6', '--override-freeze', '--reason', 'a sponsor asked for it'],
      { env: admin },
    );
    expect(overridden.code, overridden.stderr).toBe(0);
    expect(fleet.runtime.current('api').routing.shares.paid).toBe(6);
    const [entry] = await auditEntries(fleet, 'action=traffic.share');
    expect(entry).toMatchObject({ outcome: 'succeeded', reason: 'a sponsor asked for it' });
  });

  it('allows a rollback to a released version and audits it', async () => {
    const r = await call<ReleaseBody>(fleet.api, approver, 'POST', '/v1/services/api/rollback', {
      to: '1.0.0',
      reason: 'incident 42',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect((await waitForRelease(fleet.api, fleet.auth, r.body.id, terminal)).status).toBe('succeeded');
    const [entry] = await auditEntries(fleet, 'action=service.rollback');
    expect(entry).toMatchObject({ actor: 'lead', outcome: 'succeeded', reason: 'incident 42' });
  });
});

describe('every change recorded, or none applied', () => {
  let fleet: TestFleet;
  let viewer: string;
  beforeAll(async () => {
    fleet = await quickFleet();
    viewer = await tokenFor(fleet, 'watcher', { sandbox: 'viewer' });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('refuses a NUL byte or a 200 kB reason before HAProxy changes; nothing is committed or audited as done', async () => {
    const commitsBefore = (
      await call<{ commits: unknown[] }>(fleet.api, fleet.auth, 'GET', '/v1/services/api/history?limit=500')
    ).body.commits.length;
    for (const reason of ['bad\u0000byte', 'x'.repeat(200_000), 'two\nlines']) {
      const r = await call<ErrorBody>(fleet.api, fleet.auth, 'PUT', '/v1/services/api/groups/free/share', {
        share: 40,
        reason,
      });
      expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(400);
      expect(r.body.error.code).toMatch(/^SWY_API_/);
      expect(await liveShare(fleet, 'free')).toBe('500');
      expect(fleet.runtime.router('api').currentRouting().shares.free).toBe(5);
    }
    expect(
      (await call<{ commits: unknown[] }>(fleet.api, fleet.auth, 'GET', '/v1/services/api/history?limit=500')).body
        .commits.length,
    ).toBe(commitsBefore);
    expect((await auditEntries(fleet, 'action=traffic.share')).filter((e) => e.outcome === 'succeeded')).toEqual([]);
  });

  it('never lets a reason forge a commit trailer', async () => {
    const r = await call<ErrorBody>(fleet.api, fleet.auth, 'PUT', '/v1/services/api/groups/free/share', {
      share: 6,
      reason: 'x\n\nSwitchyard-Release: forged',
    });
    expect(r.status).toBe(400);
    const ok = await call(fleet.api, fleet.auth, 'PUT', '/v1/services/api/groups/free/share', {
      share: 6,
      reason: 'Switchyard-Release: forged',
    });
    expect(ok.status).toBe(200);
    const history = await call<{ commits: { releaseId: string | null; message: string }[] }>(
      fleet.api,
      fleet.auth,
      'GET',
      '/v1/services/api/history',
    );
    expect(history.body.commits[0]?.message).toContain('Switchyard-Release: forged');
    expect(history.body.commits.map((c) => c.releaseId)).not.toContain('forged');
  });

  it('answers malformed calls from the catalogue, never with a 500 or a server path', async () => {
    await expectCatalogueAnswers(fleet);
  });

  it('gives a token without a role the same answer for a release that exists and one that does not', async () => {
    const done = await release(fleet, '1.1.0');
    const nobody = await tokenFor(fleet, 'outsider', { production: 'viewer' });
    for (const [method, action] of [
      ['GET', ''],
      ['POST', '/approve'],
      ['POST', '/abort'],
    ] as const) {
      const known = await call<ErrorBody>(
        fleet.api,
        nobody,
        method,
        `/v1/releases/${done.id}${action}`,
        method === 'POST' ? {} : undefined,
      );
      const unknown = await call<ErrorBody>(
        fleet.api,
        nobody,
        method,
        `/v1/releases/00000000-0000-4000-8000-000000000000${action}`,
        method === 'POST' ? {} : undefined,
      );
      expect(known.status, `${method} ${action}`).toBe(403);
      expect(unknown.status, `${method} ${action}`).toBe(403);
      expect(unknown.body.error.message).toBe(known.body.error.message);
    }
  });

  it('audits every refusal: no token, an unknown token, a forbidden read', async () => {
    await call(fleet.api, '', 'GET', '/v1/status');
    await call(fleet.api, 'Bearer swy_notatokennotatokennotatokennotatokennotatok', 'GET', '/v1/status');
    const nobody = await tokenFor(fleet, 'stranger', { production: 'admin' });
    await call(fleet.api, nobody, 'GET', '/v1/audit');
    const entries = await auditEntries(fleet);
    expect(
      entries.filter((e) => e.action === 'api.authenticate' && e.outcome === 'denied').length,
    ).toBeGreaterThanOrEqual(2);
    expect(entries.find((e) => e.actor === 'stranger')).toMatchObject({
      action: 'api.read',
      outcome: 'denied',
      target: '/v1/audit',
    });
  });

  it('marks every answer not to be sniffed or cached', async () => {
    for (const [path, auth] of [
      ['/v1/status', fleet.auth],
      ['/v1/status', ''],
      ['/v1/nowhere', fleet.auth],
    ] as const) {
      const response = await fetch(`${fleet.api}${path}`, { headers: auth ? { authorization: auth } : {} });
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('bounds event streams per token and stops their work when the client leaves', async () => {
    for (let i = 0; i < 5; i++)
      await call(fleet.api, fleet.auth, 'PUT', '/v1/services/api/groups/paid/share', { share: i + 1 });
    await release(fleet, '1.5.0');
    const abandon = Array.from({ length: 60 }, async () => {
      const controller = new AbortController();
      const response = await fetch(`${fleet.api}/v1/events`, {
        headers: { authorization: viewer },
        signal: controller.signal,
      });
      controller.abort();
      return response.status;
    });
    const statuses = await Promise.all(abandon);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    const status = await call(fleet.api, viewer, 'GET', '/v1/status');
    expect(status.status).toBe(200);
    const open = async () =>
      Number(/^switchyard_api_event_streams (\d+)$/m.exec(await (await fetch(`${fleet.api}/metrics`)).text())?.[1]);
    const deadline = Date.now() + 10_000;
    while ((await open()) !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await open()).toBe(0);
    const held: AbortController[] = [];
    const answers: number[] = [];
    for (let i = 0; i < 25; i++) {
      const controller = new AbortController();
      held.push(controller);
      answers.push(
        (
          await fetch(`${fleet.api}/v1/events?after=999999`, {
            headers: { authorization: viewer },
            signal: controller.signal,
          })
        ).status,
      );
    }
    for (const c of held) c.abort();
    expect(answers.filter((s) => s === 200).length).toBe(20);
    expect(answers.slice(20)).toEqual([429, 429, 429, 429, 429]);
  });

  it('slows down guessing: failed authentications from one address are throttled', async () => {
    const answers: number[] = [];
    for (let i = 0; i < 40; i++)
      answers.push(
        (await call(fleet.api, `Bearer swy_guess${String(i).padStart(39, '0')}`, 'GET', '/v1/status')).status,
      );
    expect(answers.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(answers.slice(-5)).toEqual([429, 429, 429, 429, 429]);
    const blocked = await call<ErrorBody>(fleet.api, fleet.auth, 'GET', '/v1/status');
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('SWY_API_TOO_MANY_FAILURES');
  });
});

describe('an unexpected failure', () => {
  let fleet: TestFleet;
  beforeAll(async () => {
    fleet = await quickFleet();
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('logs an unexpected failure with a request id the caller gets back', async () => {
    await fleet.server.store.close();
    const r = await call<ErrorBody>(fleet.api, fleet.auth, 'GET', '/v1/status');
    expect(r.status).toBeGreaterThanOrEqual(500);
    expect(r.body.error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const log = await readFile(join(fleet.dataDir, 'logs', 'api.log'), 'utf8');
    expect(log).toContain(r.body.error.requestId);
  });
});

describe('the same refusals with the state in PostgreSQL', () => {
  let fleet: TestFleet;
  beforeAll(async () => {
    fleet = await quickFleet({ storeUrl: await freshDatabase() });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('answers malformed calls from the catalogue, and a NUL byte leaves HAProxy as it was', async () => {
    expect(fleet.server.store.engine).toBe('postgres');
    await expectCatalogueAnswers(fleet);
    const r = await call<ErrorBody>(fleet.api, fleet.auth, 'PUT', '/v1/services/api/groups/free/share', {
      share: 40,
      reason: 'bad\u0000byte',
    });
    expect(r.status).toBe(400);
    expect(await liveShare(fleet, 'free')).toBe('500');
  });
});
