import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { alive, orphansOf, processesOf, recordedPids } from '../../../test/support/processes.js';
import { call, terminal, Traffic, waitForRelease, type ReleaseBody } from '../../../test/support/release.js';
import { adminAuth, startUp, waitFor, writeReleaseUpFleet, type UpProcess } from '../../../test/support/up.js';

/**
 * `switchyard up` killed with SIGKILL and started again on the same data directory: the
 * routers and replicas that kept serving are adopted, nothing is left that nobody knows.
 */

interface Status {
  services: {
    service: string;
    routerPid?: number;
    tracks: {
      track: string;
      version: string;
      ready: number;
      desired: number;
      replicas: { pid?: number; version: string }[];
    }[];
  }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The longest stretch in which every answer failed: how long users saw an outage. */
function outageSeconds(traffic: Traffic): number {
  let longest = 0;
  let since: number | undefined;
  for (const s of traffic.seen) {
    if (s.status !== 200) since ??= s.at;
    else if (since !== undefined) {
      longest = Math.max(longest, s.at - since);
      since = undefined;
    }
  }
  return longest / 1000;
}

function environ(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return '';
  }
}

describe('switchyard up restarted after kill -9', () => {
  let dir: string;
  let dataDir: string;
  let api: string;
  let url: string;
  let auth: string;
  const ups: UpProcess[] = [];

  async function writeFleet(): Promise<void> {
    ({ dir, dataDir, api, url } = await writeReleaseUpFleet('sy-restart-'));
  }

  function start(): UpProcess {
    const up = startUp(dir, dataDir, { XDG_CONFIG_HOME: dataDir });
    ups.push(up);
    return up;
  }

  async function ready(up: UpProcess): Promise<void> {
    await up.ready();
    auth = adminAuth(dataDir);
  }

  async function status(): Promise<Status> {
    return (await call<Status>(api, auth, 'GET', '/v1/status')).body;
  }

  function pidsOf(s: Status): number[] {
    return s.services
      .flatMap((svc) => [svc.routerPid, ...svc.tracks.flatMap((t) => t.replicas.map((r) => r.pid))])
      .filter((p): p is number => p !== undefined)
      .sort();
  }

  /** Every recorded process is one the control plane shows, and every process of the fleet is known. */
  async function expectNoOrphan(up: UpProcess): Promise<void> {
    const shown = new Set(pidsOf(await status()));
    const orphans = orphansOf(dataDir, dir, [up.child.pid as number]);
    expect(
      orphans,
      `orphans: ${orphans
        .map(
          (p) =>
            `${p} ${environ(p)
              .split('\0')
              .filter((v) => v.startsWith('SWITCHYARD_'))
              .join(' ')}`,
        )
        .join('; ')}`,
    ).toEqual([]);
    expect(recordedPids(dataDir).filter((p) => !shown.has(p))).toEqual([]);
  }

  afterEach(async () => {
    for (const up of ups.splice(0)) await up.stop();
    // Whatever a failed test left behind must not disturb the next one.
    for (const pid of processesOf(dataDir, dir)) process.kill(pid, 'SIGKILL');
  });

  it('adopts the routers and replicas that kept serving: no failed request, the same pids, no orphan', async () => {
    await writeFleet();
    const first = start();
    await ready(first);
    const before = pidsOf(await status());
    expect(before.length).toBe(9);
    const traffic = new Traffic(url, ['internal', 'free', 'paid', 'enterprise']);
    await sleep(1000);
    first.child.kill('SIGKILL');
    await first.exit;
    await sleep(1500);
    const second = start();
    await ready(second);
    await sleep(2000);
    await traffic.stop();
    const failed = traffic.failures();
    console.log(
      `restart: ${failed} of ${traffic.seen.length} requests failed, ${outageSeconds(traffic).toFixed(1)} s of outage, ${orphansOf(dataDir, dir, [second.child.pid as number]).length} orphans`,
    );
    expect(failed, second.output()).toBe(0);
    expect(pidsOf(await status())).toEqual(before);
    expect(second.output()).toMatch(/adopted 9 processes/);
    await expectNoOrphan(second);
    second.child.kill('SIGINT');
    expect((await second.exit).code).toBe(0);
    expect(before.filter(alive)).toEqual([]);
    expect(processesOf(dataDir, dir)).toEqual([]);
  });

  it('a kill while a stage starts replicas leaves no orphan, and the release completes after the restart', async () => {
    await writeFleet();
    const first = start();
    await ready(first);
    const traffic = new Traffic(url, ['free', 'paid', 'enterprise']);
    const deployed = await call<ReleaseBody>(api, auth, 'POST', '/v1/releases', { service: 'api', version: '1.1.0' });
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);
    // The moment a replica of the new version exists, before it is ready: the stage is applying.
    await waitFor(
      'a replica of 1.1.0 to start',
      () => processesOf(dataDir, dir).some((pid) => environ(pid).includes('SWITCHYARD_VERSION=1.1.0')),
      30_000,
    );
    first.child.kill('SIGKILL');
    await first.exit;
    const second = start();
    await ready(second);
    const orphansAfterRestart = orphansOf(dataDir, dir, [second.child.pid as number]);
    console.log(`kill while applying: ${orphansAfterRestart.length} orphans after the restart`);
    await expectNoOrphan(second);
    await waitForRelease(api, auth, deployed.body.id, (r) => r.phase === 'awaiting-approval' || terminal(r));
    await call(api, auth, 'POST', `/v1/releases/${deployed.body.id}/approve`, {});
    const done = await waitForRelease(api, auth, deployed.body.id, terminal, 180_000);
    await traffic.stop();
    expect(done.status, done.outcome ?? '').toBe('succeeded');
    const after = await status();
    expect(
      Object.fromEntries(
        (after.services[0]?.tracks ?? []).map((t) => [t.track, `${t.version} ${t.ready}/${t.desired}`]),
      ),
    ).toEqual({
      internal: '1.1.0 2/2',
      free: '1.1.0 2/2',
      paid: '1.1.0 2/2',
      production: '1.1.0 2/2',
    });
    await expectNoOrphan(second);
    expect(traffic.failures()).toBe(0);
  });
});
