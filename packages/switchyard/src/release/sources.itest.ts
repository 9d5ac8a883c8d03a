import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../runtime/index.js';
import { freshDatabase, startPrometheus } from '../../test/support/bed.js';
import { CLI, runCli } from '../../test/support/cli.js';
import type { TestFleet } from '../../test/support/local-fleet.js';
import { call, releaseFleet, terminal, Traffic, waitForRelease, type ReleaseBody } from '../../test/support/release.js';

/** The same releases on PostgreSQL, judged by a real Prometheus, and driven from the CLI. */

async function approveAndWait(fleet: TestFleet, id: string): Promise<ReleaseBody> {
  await waitForRelease(fleet.api, fleet.auth, id, (r) => r.phase === 'awaiting-approval');
  await call(fleet.api, fleet.auth, 'POST', `/v1/releases/${id}/approve`, {});
  return waitForRelease(fleet.api, fleet.auth, id, terminal);
}

describe('a release with its state in PostgreSQL', () => {
  let fleet: TestFleet;
  beforeAll(async () => {
    fleet = await releaseFleet({ storeUrl: await freshDatabase() });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('goes through its stages and keeps every event in PostgreSQL', async () => {
    expect(fleet.server.store.engine).toBe('postgres');
    const traffic = new Traffic(fleet.url, ['free', 'paid', 'enterprise']);
    const started = await call<ReleaseBody>(fleet.api, fleet.auth, 'POST', '/v1/releases', {
      service: 'api',
      version: '1.1.0',
    });
    expect(started.status).toBe(201);
    const done = await approveAndWait(fleet, started.body.id);
    await traffic.stop();
    expect(done.status, done.outcome ?? '').toBe('succeeded');
    const rows = await fleet.server.store.query<{ status: string; events: number }>(
      'SELECT r.status, (SELECT count(*) FROM release_events e WHERE e.release_id = r.id)::int AS events FROM releases r WHERE r.id = $1',
      [started.body.id],
    );
    expect(rows[0]?.status).toBe('succeeded');
    expect(rows[0]?.events).toBeGreaterThan(10);
  });
});

describe('a release judged by Prometheus', () => {
  let fleet: TestFleet;
  let prometheus: ChildProcess;
  beforeAll(async () => {
    const port = await freePort('127.0.0.1');
    const promUrl = `http://127.0.0.1:${port}`;
    const query =
      'sum(increase(switchyard_router_responses_total{service="$service",track="$track",code="5xx"}[$window])) / clamp_min(sum(increase(switchyard_router_requests_total{service="$service",track="$track"}[$window])), 1)';
    fleet = await releaseFleet({
      service: {
        release: {
          minRequests: 0,
          interval: '1s',
          inconclusiveAfter: '60s',
          prometheus: { url: promUrl },
          gates: [{ metric: 'prometheus', name: 'error-rate', query, max: 0.05 }],
          stages: [
            { name: 'internal', track: 'internal', duration: '1s', approval: true, gates: [] },
            { name: 'free', track: 'free', shares: { free: 50 }, duration: '15s' },
            { name: 'production', track: 'production', duration: '1s', gates: [] },
          ],
        },
      },
    });
    prometheus = (await startPrometheus({ port, targets: [new URL(fleet.api).host], scrape: '1s' })).process;
  });
  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    await fleet?.stop();
  });

  it('rolls a bad version back on the Prometheus gate, naming it', async () => {
    const traffic = new Traffic(fleet.url, ['free', 'enterprise']);
    const started = await call<ReleaseBody>(fleet.api, fleet.auth, 'POST', '/v1/releases', {
      service: 'api',
      version: '1.2.0-fail20',
    });
    const done = await approveAndWait(fleet, started.body.id);
    await traffic.stop();
    expect(done.status).toBe('rolled-back');
    expect(done.outcome).toMatch(/^stage free: free failed prometheus:error-rate 0\.\d+ \(≤ 0\.05\)/);
    expect(traffic.failures((s) => s.group === 'enterprise')).toBe(0);
  });

  it('passes a good version on the same gate', async () => {
    const traffic = new Traffic(fleet.url, ['free', 'enterprise']);
    const started = await call<ReleaseBody>(fleet.api, fleet.auth, 'POST', '/v1/releases', {
      service: 'api',
      version: '1.1.0',
    });
    const done = await approveAndWait(fleet, started.body.id);
    await traffic.stop();
    expect(done.status, done.outcome ?? '').toBe('succeeded');
    const detail = await call<ReleaseBody>(fleet.api, fleet.auth, 'GET', `/v1/releases/${started.body.id}`);
    expect(
      detail.body.verdicts?.some(
        (v) => v.outcome === 'pass' && v.gates.some((g) => g.gate === 'prometheus:error-rate' && g.value !== null),
      ),
    ).toBe(true);
  });
});

describe('releases from the CLI', () => {
  let fleet: TestFleet;
  beforeAll(async () => {
    fleet = await releaseFleet();
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  const env = () => ({ SWITCHYARD_API: fleet.api, SWITCHYARD_TOKEN: fleet.auth.replace('Bearer ', '') });

  function deploy(version: string): Promise<{ code: number; out: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, 'deploy', 'api', version, '--reason', 'from the CLI test'], {
        env: { ...process.env, NO_COLOR: '1', ...env() },
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', (code) => resolve({ code: code ?? -1, out }));
    });
  }

  it('deploys, follows the stages live, and ends with the right exit code', async () => {
    const traffic = new Traffic(fleet.url, ['free', 'paid', 'enterprise']);
    const good = deploy('1.1.0');
    const approve = async () => {
      for (;;) {
        const { body } = await call<{ releases: ReleaseBody[] }>(
          fleet.api,
          fleet.auth,
          'GET',
          '/v1/releases?status=running',
        );
        const r = body.releases[0];
        if (r?.phase === 'awaiting-approval')
          return void (await runCli(['approve', 'api', '--reason', 'QA passed'], { env: env() }));
        await new Promise((res) => setTimeout(res, 200));
      }
    };
    await approve();
    const result = await good;
    expect(result.code, result.out).toBe(0);
    expect(result.out).toMatch(/api 1\.1\.0 \[running\/observing\] stage 2\/4 free \(track free, 50% of free\)/);
    expect(result.out).toMatch(/✔ api 1\.1\.0: succeeded\n$/);

    const bad = deploy('1.2.0-fail20');
    await approve();
    const failed = await bad;
    await traffic.stop();
    expect(failed.code, failed.out).toBe(5);
    expect(failed.out).toMatch(/✖ api 1\.2\.0-fail20: rolled-back — stage free: free failed error-ratio-vs-stable/);
  });

  it('shows history, the audit log and status, and rolls back in one command', async () => {
    const history = await runCli(['history', 'api'], { env: env() });
    expect(history.code, history.stderr).toBe(0);
    expect(history.stdout).toMatch(/admin\s+api: rolled back 1\.2\.0-fail20 — stage free/);
    expect(history.stdout).toMatch(
      /api 1\.1\.0: released to every track \[free 1\.1\.0, internal 1\.1\.0, paid 1\.1\.0, production 1\.1\.0\]/,
    );
    const audit = await runCli(['audit', '--action', 'release.deploy'], { env: env() });
    expect(audit.stdout).toMatch(/admin\s+release\.deploy\s+succeeded sandbox \/v1\/releases — from the CLI test/);
    const rollback = await runCli(['rollback', 'api', '--to', '1.0.0', '--reason', 'back to the known good'], {
      env: env(),
    });
    expect(rollback.code, rollback.stdout + rollback.stderr).toBe(0);
    expect(rollback.stdout).toMatch(/✔ api 1\.0\.0: succeeded/);
    const status = await runCli(['status'], { env: env() });
    expect(status.stdout).toMatch(
      /api\s+http:\/\/127\.0\.0\.1:\d+\s+internal 2\/2 1\.0\.0 · free 2\/2 1\.0\.0 · paid 2\/2 1\.0\.0 · production 2\/2 1\.0\.0/,
    );
    expect(status.stdout).toContain('no release in progress');
  });

  it('says clearly when the API is not there or the token is wrong', async () => {
    const down = await runCli(['status'], { env: { SWITCHYARD_API: 'http://127.0.0.1:9', SWITCHYARD_TOKEN: 'x' } });
    expect(down.code).toBe(69);
    expect(down.stderr).toContain('SWY_API_UNREACHABLE');
    const wrong = await runCli(['deploy', 'api', '1.3.0'], { env: { ...env(), SWITCHYARD_TOKEN: 'swy_not-a-token' } });
    expect(wrong.code).toBe(77);
    expect(wrong.stderr).toContain('SWY_API_UNAUTHENTICATED');
  });
});
