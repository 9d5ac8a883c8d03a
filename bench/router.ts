/**
 * Router benchmark: what Switchyard's routing costs, and how fast and safely a share changes.
 * Everything runs in this one script on this machine, so every figure has its baseline:
 *   - throughput and latency through Switchyard's rendered HAProxy configuration, the same
 *     HAProxy passing straight through, nginx doing the same group + share split, and the
 *     backend directly;
 *   - a share change through the Runtime API vs the same change by a configuration reload:
 *     requests lost under load, and the time until the first request follows the new share.
 * Prints JSON. Run with `bench/run router`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import {
  initialRouting,
  renderHaproxyConfig,
  renderMaps,
  type RoutingState,
} from '../packages/switchyard/src/router/index.js';
import { findHaproxy, freePort, HaproxyProcess, LocalRouter } from '../packages/switchyard/src/runtime/index.js';
import { parseConfig, resolveFleet, type Service } from '../packages/switchyard/src/spec/index.js';
import { get } from '../packages/switchyard/test/support/load.js';
import { percentile, round, runWrk, startNginx, wrkScript, type WrkResult } from './lib.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 32;
const TRACKS = ['internal', 'free', 'paid', 'production'] as const;
const host = '127.0.0.1';

function service(): Service {
  const spec = {
    kind: 'Service',
    name: 'bench',
    team: 'bench',
    product: 'bench',
    costCenter: 'bench',
    command: ['true'],
    version: '1.0.0',
    resources: { cpu: '100m', memory: '64Mi' },
    probes: { readiness: { path: '/ready' }, liveness: { path: '/healthz' } },
  };
  const env = { kind: 'Environment', name: 'bench', runtime: 'local' };
  const fleet = resolveFleet(
    parseConfig('bench', { 'services/bench.yaml': stringify(spec), 'environments/bench.yaml': stringify(env) }),
    'bench',
  );
  return fleet.units[0] as Service;
}

async function main(): Promise<void> {
  const binary = findHaproxy();
  const backendPorts = Object.fromEntries(
    await Promise.all(TRACKS.map(async (t) => [t, await freePort(host)] as const)),
  ) as Record<(typeof TRACKS)[number], number>;

  // The backend: nginx answering as each track, as fast as this machine allows.
  const stopBackend = await startNginx(
    TRACKS.map(
      (t) =>
        `  server { listen ${host}:${backendPorts[t]}; location / { default_type application/json; return 200 '{"track":"${t}"}'; } }`,
    ).join('\n'),
  );

  // Switchyard's router, as `switchyard up` runs it.
  const svc = service();
  const routerPort = await freePort(host);
  const router = new LocalRouter({
    service: svc,
    routing: initialRouting(svc),
    dir: mkdtempSync(join(tmpdir(), 'sy-')),
    host,
    port: routerPort,
    statsPort: await freePort(host),
    binary,
  });
  await router.start();
  for (const t of TRACKS) await router.addServer(t, host, backendPorts[t]);

  // The same HAProxy with no rules: one frontend straight to the stable backend.
  const plainDir = mkdtempSync(join(tmpdir(), 'sy-'));
  const plainPort = await freePort(host);
  writeFileSync(
    join(plainDir, 'haproxy.cfg'),
    `global\n    stats socket ${plainDir}/admin.sock mode 660 level admin\ndefaults\n    mode http\n    timeout connect 2s\n    timeout client 60s\n    timeout server 60s\nfrontend plain\n    bind ${host}:${plainPort}\n    default_backend production\nbackend production\n    server s1 ${host}:${backendPorts.production}\n`,
  );
  const plain = new HaproxyProcess({
    service: 'plain',
    binary,
    configPath: join(plainDir, 'haproxy.cfg'),
    statsSocket: join(plainDir, 'admin.sock'),
    masterSocket: join(plainDir, 'master.sock'),
    logPath: join(plainDir, 'haproxy.log'),
  });
  await plain.start();

  // nginx doing the same split: group from the header, 5% of free and paid users by user-id hash.
  const nginxPort = await freePort(host);
  const stopNginx = await startNginx(
    [
      `  split_clients "\${http_x_user_id}free" $free_bucket { 5% canary; * stable; }`,
      `  split_clients "\${http_x_user_id}paid" $paid_bucket { 5% canary; * stable; }`,
      '  map $free_bucket $free_track { canary free; default production; }',
      '  map $paid_bucket $paid_track { canary paid; default production; }',
      '  map $http_x_traffic_group $track { internal internal; free $free_track; paid $paid_track; enterprise production; default $free_track; }',
      ...TRACKS.map((t) => `  upstream ${t} { server ${host}:${backendPorts[t]}; keepalive 64; }`),
      `  server { listen ${host}:${nginxPort}; location / { proxy_pass http://$track; proxy_http_version 1.1; proxy_set_header Connection ""; } }`,
    ].join('\n'),
  );

  const script = wrkScript('free');
  const targets: Record<string, string> = {
    direct: `http://${host}:${backendPorts.production}/`,
    haproxyPlain: `http://${host}:${plainPort}/`,
    switchyard: `http://${host}:${routerPort}/`,
    nginxSplit: `http://${host}:${nginxPort}/`,
  };
  // The machine's CPU time varies from one second to the next (other jobs, steal): each round
  // loads the four targets back to back, and each figure is the median over rounds of that
  // round's own result, ratios included.
  const rounds: Array<Record<string, WrkResult>> = [];
  for (let round_ = 0; round_ < ROUNDS; round_++) {
    const results: Record<string, WrkResult> = {};
    for (const [name, url] of Object.entries(targets))
      results[name] = await runWrk(url, { seconds: SECONDS, connections: CONNECTIONS, script });
    rounds.push(results);
  }
  const median = (values: number[]): number => percentile(values, 50);
  const of = (name: string) => (r: Record<string, WrkResult>) => r[name] as WrkResult;
  const ratio = (a: string, b: string) => round(median(rounds.map((r) => of(a)(r).rps / of(b)(r).rps)));

  // Shift latency through the Runtime API: from the call to the first request that follows it.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = targets.switchyard as string;
  await router.setShare('free', 50);
  let user = '';
  for (let i = 0; i < 1000 && !user; i++) {
    if ((await get(agent, url, { 'X-Traffic-Group': 'free', 'X-User-Id': `user-${i}` })).body.includes('"free"'))
      user = `user-${i}`;
  }
  const trackOf = async () => (await get(agent, url, { 'X-Traffic-Group': 'free', 'X-User-Id': user })).body;
  // From the call to the first request routed by the new share: requests go out while the
  // call is under way (it also writes the files to disk, after the live change).
  const shift = async (change: () => Promise<void>, want: string, probe = trackOf): Promise<number> => {
    const start = process.hrtime.bigint();
    const changed = change();
    while (!(await probe()).includes(`"${want}"`)) {
      /* keep asking until the new share routes this user */
    }
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    await changed;
    return ms;
  };
  const apiShifts: number[] = [];
  for (let i = 0; i < 50; i++) {
    apiShifts.push(await shift(() => router.setShare('free', 0), 'production'));
    apiShifts.push(await shift(() => router.setShare('free', 50), 'free'));
  }

  // 100 share changes under load through the Runtime API.
  const pidBefore = /^Pid: (\d+)/m.exec(await router.api.send('show info'))?.[1];
  const apiLoad = runWrk(url, { seconds: 6, connections: CONNECTIONS, script });
  await new Promise((r) => setTimeout(r, 500));
  for (let i = 0; i < 100; i++) await router.setShare('free', [5, 25, 50, 12.5][i % 4] as number);
  const apiUnderLoad = await apiLoad;
  const pidAfter = /^Pid: (\d+)/m.exec(await router.api.send('show info'))?.[1];

  // The same change by rewriting the map file and reloading HAProxy.
  const reloadDir = mkdtempSync(join(tmpdir(), 'sy-'));
  const reloadPort = await freePort(host);
  const reloadStatsPort = await freePort(host);
  const writeReloadConfig = (routing: RoutingState) => {
    const servers = Object.fromEntries(TRACKS.map((t) => [t, [{ name: 's1', host, port: backendPorts[t] }]]));
    writeFileSync(
      join(reloadDir, 'haproxy.cfg'),
      renderHaproxyConfig({
        service: svc,
        routing,
        servers,
        bind: `${host}:${reloadPort}`,
        statsBind: `${host}:${reloadStatsPort}`,
        statsSocket: join(reloadDir, 'admin.sock'),
        mapsDir: reloadDir,
        dns: false,
      }),
    );
    for (const [file, content] of Object.entries(renderMaps(svc, routing)))
      writeFileSync(join(reloadDir, file), content);
  };
  writeReloadConfig({ ...initialRouting(svc), shares: { free: 50, paid: 5 } });
  const reloading = new HaproxyProcess({
    service: 'reloading',
    binary,
    configPath: join(reloadDir, 'haproxy.cfg'),
    statsSocket: join(reloadDir, 'admin.sock'),
    masterSocket: join(reloadDir, 'master.sock'),
    logPath: join(reloadDir, 'haproxy.log'),
  });
  await reloading.start();
  const reloadUrl = `http://${host}:${reloadPort}/`;
  const reloadTrack = async () => (await get(agent, reloadUrl, { 'X-Traffic-Group': 'free', 'X-User-Id': user })).body;
  const reloadShift = (share: number, want: string) =>
    shift(
      async () => {
        writeReloadConfig({ ...initialRouting(svc), shares: { free: share, paid: 5 } });
        await reloading.reload();
      },
      want,
      reloadTrack,
    );
  const reloadShifts: number[] = [];
  for (let i = 0; i < 10; i++) {
    reloadShifts.push(await reloadShift(0, 'production'));
    reloadShifts.push(await reloadShift(50, 'free'));
  }
  const reloadLoad = runWrk(reloadUrl, { seconds: 6, connections: CONNECTIONS, script });
  await new Promise((r) => setTimeout(r, 500));
  let reloads = 0;
  for (let i = 0; i < 20; i++) {
    writeReloadConfig({ ...initialRouting(svc), shares: { free: [5, 25, 50, 12.5][i % 4] as number, paid: 5 } });
    await reloading.reload();
    reloads++;
  }
  const reloadUnderLoad = await reloadLoad;

  const result = {
    benchmark: 'router',
    haproxy: binary.version,
    machine: { cpus: (await import('node:os')).cpus().length },
    load: {
      tool: 'wrk',
      seconds: SECONDS,
      connections: CONNECTIONS,
      rounds: ROUNDS,
      request: 'GET / with X-Traffic-Group: free and a random X-User-Id',
    },
    throughput: Object.fromEntries(
      Object.keys(targets).map((k) => {
        const rs = rounds.map(of(k));
        return [
          k,
          {
            rps: round(median(rs.map((r) => r.rps)), 0),
            p50Ms: median(rs.map((r) => r.p50Ms)),
            p99Ms: median(rs.map((r) => r.p99Ms)),
            failed: rs.reduce((n, r) => n + r.failed, 0),
          },
        ];
      }),
    ),
    ratios: {
      switchyardVsHaproxyPlain: ratio('switchyard', 'haproxyPlain'),
      switchyardVsNginxSplit: ratio('switchyard', 'nginxSplit'),
      switchyardVsDirect: ratio('switchyard', 'direct'),
    },
    perRound: rounds.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v.rps, 0)]))),
    shareChange: {
      runtimeApi: {
        samples: apiShifts.length,
        p50Ms: round(percentile(apiShifts, 50)),
        p99Ms: round(percentile(apiShifts, 99)),
        underLoad: {
          changes: 100,
          requests: apiUnderLoad.requests,
          failed: apiUnderLoad.failed,
          haproxyProcessReplaced: pidBefore !== pidAfter,
        },
      },
      reload: {
        samples: reloadShifts.length,
        p50Ms: round(percentile(reloadShifts, 50)),
        p99Ms: round(percentile(reloadShifts, 99)),
        underLoad: { changes: reloads, requests: reloadUnderLoad.requests, failed: reloadUnderLoad.failed },
      },
      runtimeApiVsReloadP50: round(percentile(apiShifts, 50) / percentile(reloadShifts, 50)),
    },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);

  agent.destroy();
  await Promise.all([router.stop(), plain.stop(), reloading.stop(), stopNginx(), stopBackend()]);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
