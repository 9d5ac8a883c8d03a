import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promtoolProblems } from '../../../../test/support/promtool.js';
import { runCli } from '../../test/support/cli.js';
import { startTestFleet, type TestFleet } from '../../test/support/local-fleet.js';
import { call } from '../../test/support/release.js';
import { EXIT } from '../errors/index.js';
import type { HealthReport } from '../health/index.js';

/**
 * Health on the local runtime with real HAProxy: replicas of a track stopped (SIGSTOP, so the
 * router's health checks take them out and nothing restarts them) raise a finding in
 * /v1/health, /metrics and `switchyard health`, with the severity and exit code they deserve;
 * resumed, the finding clears. A router that stops answering is critical.
 */
describe('health of a local fleet', () => {
  let fleet: TestFleet;
  const cli = (args: readonly string[]) =>
    runCli(args, { env: { SWITCHYARD_API: fleet.api, SWITCHYARD_TOKEN: fleet.auth.replace(/^Bearer /, '') } });
  const health = async (path = '/v1/health') => (await call<HealthReport>(fleet.api, fleet.auth, 'GET', path)).body;

  async function until(what: string, done: (r: HealthReport) => boolean, timeoutMs = 30_000): Promise<HealthReport> {
    const deadline = Date.now() + timeoutMs;
    let last = await health();
    while (!done(last)) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms; last ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 250));
      last = await health();
    }
    return last;
  }

  const freePids = () => fleet.runtime.track('api', 'free').pids();
  const routerWorkers = () =>
    execFileSync('pgrep', ['-P', String(fleet.runtime.router('api').pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  const signal = (pids: readonly number[], name: NodeJS.Signals) => pids.forEach((pid) => process.kill(pid, name));

  beforeAll(async () => {
    // No liveness probe: a stopped replica stays stopped instead of being replaced.
    fleet = await startTestFleet({ service: { probes: { readiness: { path: '/ready', periodSeconds: 1 } } } });
  });
  afterAll(async () => {
    if (fleet) signal([...freePids(), ...routerWorkers()], 'SIGCONT');
    await fleet?.stop();
  });

  it('is healthy when everything runs, and says so with exit 0', async () => {
    const report = await until('healthy', (r) => r.worst === 'ok');
    expect(report).toMatchObject({ environment: 'sandbox', counts: { critical: 0, warning: 0, info: 0 } });
    const run = await cli(['health']);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    expect(run.stdout).toBe('sandbox: ✔ healthy\n');
  });

  it('warns when a track falls below 2 ready endpoints, keeps when it was first seen, and exits 8', async () => {
    const [first] = freePids();
    signal([first as number], 'SIGSTOP');
    const report = await until('a track-endpoints warning', (r) =>
      r.findings.some((f) => f.check === 'track-endpoints'),
    );
    const finding = report.findings.find((f) => f.check === 'track-endpoints');
    expect(finding).toMatchObject({ severity: 'warning', unit: 'api', part: 'free' });
    expect(finding?.objects).toHaveLength(1);
    expect(report.worst).toBe('warning');

    const again = await health();
    expect(again.findings.find((f) => f.check === 'track-endpoints')?.since).toBe(finding?.since);
    expect((await health('/v1/health/api')).worst).toBe('warning');
    const missing = await call<{ error: { code: string } }>(fleet.api, fleet.auth, 'GET', '/v1/health/nothing');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'SWY_SPEC_SERVICE_NOT_FOUND']);

    const run = await cli(['health']);
    expect(run.code, run.stderr).toBe(EXIT.healthWarning);
    expect(run.stdout).toMatch(/^sandbox: ⚠ warning: 1 warning\n {2}⚠ warning +api\/free +track-endpoints/);
    const json = await cli(['health', '-o', 'json']);
    expect(json.code).toBe(EXIT.healthWarning);
    expect((JSON.parse(json.stdout) as HealthReport).findings[0]?.check).toBe('track-endpoints');
    const status = await cli(['status']);
    expect(status.stdout).toContain('health: ⚠ warning: 1 warning — api/free: api/free has 1 ready endpoint');

    const metrics = await fetch(`${fleet.api}/metrics`).then((r) => r.text());
    expect(promtoolProblems(metrics)).toBe('');
    expect(metrics).toContain('switchyard_health_worst_severity{environment="sandbox"} 2\n');
    expect(metrics).toContain(
      'switchyard_health_check_findings{check="track-endpoints",severity="warning",environment="sandbox"} 1\n',
    );
    expect(metrics).toContain(
      `switchyard_health_finding_since_timestamp_seconds{check="track-endpoints",severity="warning",unit="api",part="free",environment="sandbox"} ${Date.parse(finding?.since ?? '') / 1000}\n`,
    );
  });

  it('is critical when the track has no ready endpoint left, and exits 9', async () => {
    signal(freePids(), 'SIGSTOP');
    await until('a critical track-endpoints', (r) =>
      r.findings.some((f) => f.check === 'track-endpoints' && f.severity === 'critical'),
    );
    const run = await cli(['health', 'api']);
    expect(run.code, run.stderr).toBe(EXIT.healthCritical);
    expect(run.stdout).toMatch(/^sandbox: ✖ critical: 1 critical\n {2}✖ critical +api\/free +track-endpoints/);
  });

  it('clears once the replicas serve again', async () => {
    signal(freePids(), 'SIGCONT');
    await until('healthy again', (r) => r.worst === 'ok');
    const run = await cli(['health']);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    const metrics = await fetch(`${fleet.api}/metrics`).then((r) => r.text());
    expect(metrics).toContain('switchyard_health_worst_severity{environment="sandbox"} 0\n');
    expect(metrics).not.toContain('switchyard_health_finding_since_timestamp_seconds{');
  });

  it('is critical when the router stops answering, and clears when it answers again', async () => {
    // HAProxy runs master-worker: its workers answer, the master only supervises them.
    const workers = routerWorkers();
    signal(workers, 'SIGSTOP');
    try {
      const report = await until('a router-replicas finding', (r) =>
        r.findings.some((f) => f.check === 'router-replicas'),
      );
      expect(report.findings.find((f) => f.check === 'router-replicas')).toMatchObject({
        severity: 'critical',
        unit: 'api',
        part: 'router',
        objects: ['api-router'],
      });
    } finally {
      signal(workers, 'SIGCONT');
    }
    await until('the router answers again', (r) => !r.findings.some((f) => f.check === 'router-replicas'));
  });
});
