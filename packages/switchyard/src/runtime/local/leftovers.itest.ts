import { execSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_SERVICE, startTestFleet, type TestFleet } from '../../../test/support/local-fleet.js';
import { call } from '../../../test/support/release.js';
import type { HealthReport } from '../../health/index.js';
import type { ServiceStatus } from '../port.js';
import { parseServersState } from '../../router/index.js';
import { freePort } from './net.js';
import { DATA_DIR_VAR, PROCESS_VAR } from './process-record.js';

/**
 * Leftovers on the local runtime with real HAProxy: a replica process of an old version, tagged
 * with the runtime's data directory as the runtime tags its own, that no track runs, is named by
 * the `leftovers` finding with the command that removes it; the command clears it.
 */
describe('leftovers of a local fleet', () => {
  let fleet: TestFleet;
  let old: ChildProcess;
  const health = async () => (await call<HealthReport>(fleet.api, fleet.auth, 'GET', '/v1/health')).body;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    fleet = await startTestFleet();
  });
  afterAll(async () => {
    old?.kill('SIGKILL');
    await fleet?.stop();
  });

  it('finds none while every process is one the fleet runs', async () => {
    const report = await health();
    expect(report.findings.filter((f) => f.check === 'leftovers')).toEqual([]);
    const status = await call<{ services: ServiceStatus[] }>(fleet.api, fleet.auth, 'GET', '/v1/status');
    expect(status.body.services.find((s) => s.service === 'api')?.leftovers).toEqual([]);
  });

  it('names an old version left running on a track, with the command that removes it, and clears once it is gone', async () => {
    const port = await freePort('127.0.0.1');
    old = spawn(process.execPath, [HTTP_SERVICE], {
      env: {
        ...process.env,
        PORT: String(port),
        [DATA_DIR_VAR]: fleet.dataDir,
        [PROCESS_VAR]: 'api-free-99',
        SWITCHYARD_SERVICE: 'api',
        SWITCHYARD_TRACK: 'free',
        SWITCHYARD_VERSION: '0.9.0',
      },
      stdio: 'ignore',
    });
    const pid = old.pid as number;
    let finding: HealthReport['findings'][number] | undefined;
    for (let i = 0; i < 50 && !finding; i++) {
      finding = (await health()).findings.find((f) => f.check === 'leftovers');
      if (!finding) await sleep(100);
    }
    expect(finding).toMatchObject({
      check: 'leftovers',
      severity: 'warning',
      unit: 'api',
      part: 'free',
      objects: [`process/api-free-99 (pid ${pid})`],
    });
    expect(finding?.message).toContain('(version 0.9.0)');
    expect(finding?.hint).toContain(`\`kill ${pid}\``);
    const status = await call<{ services: ServiceStatus[] }>(fleet.api, fleet.auth, 'GET', '/v1/status');
    expect(status.body.services.find((s) => s.service === 'api')?.leftovers).toEqual([
      { kind: 'process', name: `api-free-99 (pid ${pid})`, track: 'free', version: '0.9.0', remove: `kill ${pid}` },
    ]);
    // The fleet's own replicas are none of it.
    for (const track of ['internal', 'free', 'paid', 'production'])
      for (const own of fleet.runtime.track('api', track).pids())
        expect(finding?.objects.join()).not.toContain(`pid ${own})`);

    const exited = new Promise((r) => old.once('exit', r));
    process.kill(pid, 'SIGTERM'); // what `kill <pid>` does
    await exited;
    expect((await health()).findings.filter((f) => f.check === 'leftovers')).toEqual([]);
  });

  it('names a server and a map entry set by hand in the router, and clears once the commands it gives ran', async () => {
    const router = fleet.runtime.router('api');
    const free = parseServersState(await router.api.send('show servers state'), 1).find(
      (s) => s.backend === 'track_paid' && s.state === 'free',
    );
    expect(free).toBeDefined();
    const port = await freePort('127.0.0.1');
    const server = `track_paid/${free?.server}`;
    await router.api.apply([`set server ${server} addr 127.0.0.1 port ${port}`, `set server ${server} state ready`]);
    await router.api.apply([`add map ${join(fleet.dataDir, 'routers', 'api', 'canary.map')} old-group paid`]);

    let findings: HealthReport['findings'] = [];
    for (let i = 0; i < 100 && findings.length < 1; i++) {
      findings = (await health()).findings.filter((f) => f.check === 'leftovers' && f.part === 'paid');
      if (findings.length < 1) await sleep(100);
    }
    expect(findings).toHaveLength(1);
    expect(findings[0]?.objects).toEqual([
      `router-route/canary.map old-group paid`,
      `router-server/${server} → 127.0.0.1:${port}`,
    ]);
    const status = await call<{ services: ServiceStatus[] }>(fleet.api, fleet.auth, 'GET', '/v1/status');
    const leftovers = status.body.services.find((s) => s.service === 'api')?.leftovers ?? [];
    expect(leftovers.map((l) => l.kind).sort()).toEqual(['router-route', 'router-server']);

    for (const l of leftovers) execSync(l.remove, { stdio: 'pipe' });
    let left = findings;
    for (let i = 0; i < 100 && left.length > 0; i++) {
      await sleep(100);
      left = (await health()).findings.filter((f) => f.check === 'leftovers');
    }
    expect(left).toEqual([]);
  });
});
