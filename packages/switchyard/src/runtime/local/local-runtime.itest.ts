import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findHaproxy } from './index.js';
import { CLI, runCli } from '../../../test/support/cli.js';
import { answeredBy, hammer } from '../../../test/support/load.js';
import { startTestFleet, type TestFleet } from '../../../test/support/local-fleet.js';
import { alive, recordedPids } from '../../../test/support/processes.js';
import { promtoolProblems } from '../../../../../test/support/promtool.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const WRK = process.env.SWITCHYARD_WRK_BIN ?? 'wrk';

/** Runs wrk against `url` with a random user per request in `group`; resolves with its report. */
function wrk(
  url: string,
  seconds: number,
  group: string,
): Promise<{ requests: number; non2xx: number; socketErrors: number; output: string }> {
  const script = join(tmpdir(), `sy-wrk-${process.pid}.lua`);
  writeFileSync(
    script,
    `request = function()\n  return wrk.format("GET", "/", { ["X-Traffic-Group"] = "${group}", ["X-User-Id"] = tostring(math.random(1, 100000000)) })\nend\n`,
  );
  return new Promise((resolve, reject) => {
    const child = spawn(WRK, ['-t2', '-c16', `-d${seconds}s`, '-s', script, url]);
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', () => {
      const requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? 0);
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
      const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
      const socketErrors = socket ? socket.slice(1).reduce((n, v) => n + Number(v), 0) : 0;
      resolve({ requests, non2xx, socketErrors, output });
    });
  });
}

async function haproxyWorkerPid(fleet: TestFleet): Promise<string> {
  return /^Pid: (\d+)/m.exec(await fleet.runtime.router('api').api.send('show info'))?.[1] ?? '';
}

describe('local runtime under load', () => {
  let fleet: TestFleet;
  beforeAll(async () => {
    fleet = await startTestFleet({ shares: { free: 5, paid: 5 } });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('drops no request through 100 share changes, a version roll and a kill -9 of a replica', async () => {
    const router = fleet.runtime.router('api');
    const pidBefore = await haproxyWorkerPid(fleet);
    const load = wrk(fleet.url, 20, 'free');
    await sleep(1500);
    for (let i = 0; i < 100; i++) {
      await router.setShare('free', [5, 25, 50, 12.5][i % 4] as number);
      await sleep(20);
    }
    await fleet.runtime.updateTrack('api', 'free', { version: '1.1.0' });
    const victim = fleet.runtime.track('api', 'production').pids()[0] as number;
    process.kill(victim, 'SIGKILL');
    await waitFor(
      'the killed replica to be replaced',
      () => fleet.runtime.track('api', 'production').status().ready === 2,
    );
    const report = await load;
    expect(report.requests, report.output).toBeGreaterThan(5000);
    expect(report.non2xx, report.output).toBe(0);
    expect(report.socketErrors, report.output).toBe(0);
    expect(await haproxyWorkerPid(fleet)).toBe(pidBefore);
    expect(fleet.runtime.track('api', 'free').status()).toMatchObject({ version: '1.1.0', ready: 2 });
    expect(fleet.events.some((e) => e.type === 'replica-crashed')).toBe(true);
  });

  it('rolls a track one replica at a time: the new version serves before the old one leaves', async () => {
    const seen: string[] = [];
    let rolling = true;
    const watcher = (async () => {
      while (rolling) {
        const answers = await hammer(fleet.url, 20, () => ({ 'X-Traffic-Group': 'internal' }), 4);
        for (const a of answers) {
          expect(a.status).toBe(200);
          seen.push(answeredBy(a).version);
        }
      }
    })();
    await fleet.runtime.updateTrack('api', 'internal', { version: '2.0.0', replicas: 3 });
    rolling = false;
    await watcher;
    expect(fleet.runtime.track('api', 'internal').status()).toMatchObject({ version: '2.0.0', desired: 3, ready: 3 });
    const answers = await hammer(fleet.url, 50, () => ({ 'X-Traffic-Group': 'internal' }), 4);
    expect(new Set(answers.map((a) => answeredBy(a).version))).toEqual(new Set(['2.0.0']));
    expect(seen).toContain('2.0.0');
    await fleet.runtime.updateTrack('api', 'internal', { replicas: 2 });
    expect(fleet.runtime.track('api', 'internal').status().replicas).toHaveLength(2);
  });

  it('restarts a dead HAProxy from its files, with the current shares', async () => {
    const router = fleet.runtime.router('api');
    await router.setShare('free', 30);
    const pid = router.pid as number;
    process.kill(pid, 'SIGKILL');
    await waitFor('HAProxy to come back', () => router.pid !== undefined && router.pid !== pid);
    await waitFor('the stats socket', async () =>
      (await router.api.send('show info').catch(() => '')).includes('Pid:'),
    );
    const answers = await hammer(fleet.url, 4000, () => ({ 'X-Traffic-Group': 'free', 'X-User-Id': randomUUID() }));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const canary = answers.filter((a) => answeredBy(a).track === 'free').length / answers.length;
    expect(Math.abs(canary - 0.3)).toBeLessThan(0.04);
    expect(fleet.events.some((e) => e.type === 'haproxy-restarted')).toBe(true);
  });

  it('refuses bad changes through the API with a clear error and changes nothing', async () => {
    const api = fleet.server.api;
    const sharesFile = join(fleet.dataDir, 'routers/api/shares.map');
    const routingBefore = fleet.runtime.router('api').currentRouting();
    const mapBefore = readFileSync(sharesFile, 'utf8');
    const cases: [string, string, unknown, number, string][] = [
      ['PUT', '/v1/services/nope/groups/free/share', { share: 5 }, 404, 'SWY_SPEC_SERVICE_NOT_FOUND'],
      ['PUT', '/v1/services/api/groups/gold/share', { share: 5 }, 404, 'SWY_SPEC_GROUP_NOT_FOUND'],
      ['PUT', '/v1/services/api/tracks/beta', { version: '1.2.0' }, 404, 'SWY_SPEC_TRACK_NOT_FOUND'],
      ['PUT', '/v1/services/api/groups/free/share', { share: 101 }, 400, 'SWY_ROUTER_SHARE_INVALID'],
      ['PUT', '/v1/services/api/groups/free/share', { share: -1 }, 400, 'SWY_ROUTER_SHARE_INVALID'],
      ['PUT', '/v1/services/api/groups/free/share', { share: 1.234 }, 400, 'SWY_ROUTER_SHARE_INVALID'],
      ['PUT', '/v1/services/api/groups/free/share', { share: 'half' }, 400, 'SWY_API_BAD_REQUEST'],
      ['PUT', '/v1/services/api/groups/enterprise/share', { share: 5 }, 422, 'SWY_ROUTER_GROUP_NEVER_CANARY'],
      ['PUT', '/v1/services/api/groups/internal/share', { share: 5 }, 422, 'SWY_ROUTER_GROUP_NEVER_CANARY'],
      ['PUT', '/v1/services/api/tracks/free', {}, 400, 'SWY_API_BAD_REQUEST'],
      ['PUT', '/v1/services/api/tracks/free', { version: 'bad/tag' }, 400, 'SWY_API_BAD_REQUEST'],
    ];
    for (const [method, url, payload, status, code] of cases) {
      const reply = await api.inject({
        method: method as 'PUT',
        url,
        payload: payload as object,
        headers: { authorization: fleet.auth },
      });
      expect(reply.statusCode, `${url} ${JSON.stringify(payload)}: ${reply.body}`).toBe(status);
      const body = reply.json<{ error: { code: string; message: string; hint: string } }>();
      expect(body.error.code).toBe(code);
      expect(body.error.hint.length).toBeGreaterThan(10);
    }
    expect(fleet.runtime.router('api').currentRouting()).toEqual(routingBefore);
    expect(readFileSync(sharesFile, 'utf8')).toBe(mapBefore);
  });

  it('serves per-track figures and Prometheus metrics', async () => {
    const api = fleet.server.api;
    await hammer(fleet.url, 200, () => ({ 'X-Traffic-Group': 'enterprise' }));
    const figures = (
      await api.inject({ method: 'GET', url: '/v1/services/api/figures', headers: { authorization: fleet.auth } })
    ).json<{ tracks: { track: string; requests: number; responses2xx: number }[] }>();
    const production = figures.tracks.find((t) => t.track === 'production');
    expect(production?.requests).toBeGreaterThanOrEqual(200);
    const metrics = await api.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body, metrics.body).toMatch(
      /switchyard_router_responses_total\{service="api",track="production",code="2xx",environment="sandbox"\} \d+/,
    );
    expect(metrics.body).toMatch(
      /switchyard_track_replicas_ready\{service="api",track="free",environment="sandbox"\} 2/,
    );
    for (const name of ['requests', 'responses', 'errors'])
      expect(metrics.body).toContain(`# TYPE switchyard_router_${name}_total counter\n`);
    expect(promtoolProblems(metrics.body)).toBe('');
    // The lint has teeth: a gauge with a counter's suffix, as these three once were, fails it.
    expect(promtoolProblems('# HELP x_total x\n# TYPE x_total gauge\nx_total 1\n')).toMatch(
      /non-counter metrics should not have "_total" suffix/,
    );
  });
});

describe('HAProxy checks', () => {
  it('says so when HAProxy is missing', () => {
    expect(() => findHaproxy('/nonexistent/haproxy')).toThrow(/HAProxy was not found at \/nonexistent\/haproxy/);
  });

  it('refuses HAProxy older than 2.6', async () => {
    // Stands in for an old installation: only the version answer matters to this check.
    const old = join(await mkdtemp(join(tmpdir(), 'sy-old-')), 'haproxy');
    writeFileSync(old, '#!/bin/sh\necho "HAProxy version 2.4.22-0ubuntu0.22.04.2 2023/08/14 - https://haproxy.org/"\n');
    chmodSync(old, 0o755);
    expect(() => findHaproxy(old)).toThrow(/is 2\.4\.22-0ubuntu0\.22\.04\.2; Switchyard needs 2\.6 or newer/);
  });

  it('finds the installed HAProxy', () => {
    expect(findHaproxy().version).toMatch(/^2\.(6|[7-9])|^[3-9]\./);
  });
});

describe('switchyard up', () => {
  async function writeFleet(): Promise<{ dir: string; routerPort: number; apiPort: number }> {
    const { freePort } = await import('../index.js');
    const { writeConfig } = await import('../../../test/support/cli.js');
    const { HTTP_SERVICE } = await import('../../../test/support/local-fleet.js');
    const [routerPort, statsPort, apiPort] = [
      await freePort('127.0.0.1'),
      await freePort('127.0.0.1'),
      await freePort('127.0.0.1'),
    ];
    const dir = await writeConfig({
      'services/web.yaml': `kind: Service\nname: web\nteam: web\nproduct: vod\ncostCenter: cc-1\ncommand: [node, ${HTTP_SERVICE}]\nversion: 3.0.0\nresources: { cpu: 100m, memory: 64Mi }\nprobes:\n  readiness: { path: /ready }\n  liveness: { path: /healthz }\n`,
      'environments/sandbox.yaml': `kind: Environment\nname: sandbox\nruntime: local\nlocal: { routerPort: ${routerPort}, statsPort: ${statsPort}, apiPort: ${apiPort} }\n`,
    });
    return { dir, routerPort, apiPort };
  }

  function startUp(dir: string, dataDir: string, env: NodeJS.ProcessEnv = {}) {
    const child = spawn(process.execPath, [CLI, 'up', dir, '--data-dir', dataDir], {
      env: { ...process.env, NO_COLOR: '1', XDG_CONFIG_HOME: dataDir, ...env },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exit = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    return { child, exit, output: () => output };
  }

  it('runs the fleet, answers with service, track and version, and leaves nothing running after Ctrl-C', async () => {
    const { dir, routerPort } = await writeFleet();
    const dataDir = await mkdtemp(join(tmpdir(), 'sy-up-'));
    const up = startUp(dir, dataDir);
    await waitFor('up to be ready', () => up.output().includes('Ctrl-C stops everything.'), 60_000);
    expect(up.output()).toContain(`web                    http://127.0.0.1:${routerPort}`);
    const answer = await fetch(`http://127.0.0.1:${routerPort}/`, {
      headers: { 'X-Traffic-Group': 'free', 'X-User-Id': '42' },
    });
    const body = (await answer.json()) as { service: string; track: string; version: string };
    expect(body.service).toBe('web');
    expect(['free', 'production']).toContain(body.track);
    expect(body.version).toBe('3.0.0');
    const pids = recordedPids(dataDir);
    expect(pids.length).toBe(9);
    up.child.kill('SIGINT');
    expect(await up.exit).toBe(0);
    expect(up.output()).toContain('✔ stopped; nothing left running');
    expect(pids.filter(alive)).toEqual([]);
    expect(recordedPids(dataDir)).toEqual([]);
  });

  it('refuses a port in use and a second up, starting nothing', async () => {
    const { dir, routerPort } = await writeFleet();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(routerPort, '127.0.0.1', resolve));
    const blocked = await runCli(['up', dir, '--data-dir', await mkdtemp(join(tmpdir(), 'sy-up-'))]);
    blocker.close();
    expect(blocked.code).toBe(75);
    expect(blocked.stderr).toContain(
      `SWY_ROUTER_PORT_IN_USE: Port ${routerPort} on 127.0.0.1 (router of web) is already in use`,
    );
    expect(spawnSync('pgrep', ['-f', dir]).stdout.toString().trim()).toBe('');

    const dataDir = await mkdtemp(join(tmpdir(), 'sy-up-'));
    const first = startUp(dir, dataDir);
    await waitFor('first up', () => first.output().includes('Ctrl-C stops everything.'), 60_000);
    const second = await runCli(['up', dir, '--data-dir', await mkdtemp(join(tmpdir(), 'sy-up-'))]);
    expect(second.code).toBe(75);
    expect(second.stderr).toMatch(/SWY_ROUTER_PORT_IN_USE: Port \d+ on 127.0.0.1 \(Switchyard API\) is already in use/);
    first.child.kill('SIGINT');
    expect(await first.exit).toBe(0);
  });

  it('after an up that was killed with SIGKILL, adopts what kept serving and stops what nobody can keep', async () => {
    const { dir } = await writeFleet();
    const dataDir = await mkdtemp(join(tmpdir(), 'sy-up-'));
    const first = startUp(dir, dataDir);
    await waitFor('first up', () => first.output().includes('Ctrl-C stops everything.'), 60_000);
    const pids = recordedPids(dataDir);
    first.child.kill('SIGKILL');
    await first.exit;
    expect(pids.filter(alive)).toEqual(pids);
    // One replica dies and one is frozen while no control plane watches: both are replaced, the rest kept.
    const [dead, frozen] = pids.filter((pid) =>
      readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('http-service'),
    ) as [number, number];
    process.kill(dead, 'SIGKILL');
    process.kill(frozen, 'SIGSTOP');
    const second = startUp(dir, dataDir);
    await waitFor('second up', () => second.output().includes('Ctrl-C stops everything.'), 60_000);
    expect(second.output()).toMatch(/adopted 7 processes that kept serving, stopped 1 that could not be kept/);
    const now = recordedPids(dataDir);
    expect(now.length).toBe(9);
    expect(now.filter((pid) => pids.includes(pid)).sort()).toEqual(
      pids.filter((pid) => pid !== dead && pid !== frozen).sort(),
    );
    expect([dead, frozen].filter(alive)).toEqual([]);
    second.child.kill('SIGINT');
    expect(await second.exit).toBe(0);
    expect([...pids, ...now].filter(alive)).toEqual([]);
  });

  it('says clearly when HAProxy is missing, and starts nothing', async () => {
    const { dir } = await writeFleet();
    const r = await runCli(['up', dir, '--data-dir', await mkdtemp(join(tmpdir(), 'sy-up-'))], {
      env: { SWITCHYARD_HAPROXY_BIN: '/nonexistent/haproxy' },
    });
    expect(r.code).toBe(69);
    expect(r.stderr).toContain('SWY_ROUTER_HAPROXY_MISSING');
    expect(spawnSync('pgrep', ['-f', dir]).stdout.toString().trim()).toBe('');
  });
});
