/**
 * `switchyard server` on a Kubernetes environment of 500 services (4 tracks + router each) on a
 * test-bed cluster of its own (test/k8s, cluster "bench-server", kwok nodes). Figures: the
 * server's resident memory and CPU while idle, `GET /v1/status` p50/p99, and the time from
 * `POST /v1/releases` to the first stage applied (its track's Deployment rolled out, the
 * release observing it). The baseline is the same server serving a one-service
 * environment of the same cluster, in the same run: each figure is printed with its ratio to
 * it, so what grows with the fleet shows. The store is PostgreSQL (test/infra), as in the
 * chart. Prints JSON. Run with `bench/run k8s-server`.
 *   BENCH_SERVICES (default 500), BENCH_IDLE_SECONDS (30), BENCH_CALLS (200),
 *   BENCH_RELEASES (3), BENCH_KEEP=1 keeps the cluster up afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTree } from '../packages/switchyard/src/cli/write-tree.js';
import { freePort } from '../packages/switchyard/src/runtime/index.js';
import { freshDatabase } from '../packages/switchyard/test/support/bed.js';
import { REPO_ROOT } from '../packages/switchyard/test/support/cli.js';
import { benchLog, fleetTexts, serviceName, startBenchCluster, type BenchCluster } from './k8s-bench.js';
import { percentile, round, testBedPostgres } from './lib.js';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 500);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
const CALLS = Number(process.env.BENCH_CALLS ?? 200);
const RELEASES = Number(process.env.BENCH_RELEASES ?? 3);
const CLI = join(REPO_ROOT, 'packages/switchyard/dist/cli/main.js');
const TICKS_PER_SECOND = 100; // USER_HZ on Linux
const log = benchLog('k8s-server');

/** One approval stage on the internal track, so the release stops once its first stage is applied. */
const RELEASE = {
  stages: [{ name: 'internal', track: 'internal', duration: '1s', approval: true }],
  minRequests: 0,
};

interface Served {
  readonly child: ChildProcess;
  readonly api: string;
  readonly token: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function call<T>(served: Served, method: string, path: string, body?: unknown): Promise<T> {
  const answer = await fetch(`${served.api}${path}`, {
    method,
    headers: { authorization: `Bearer ${served.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await answer.text();
  if (!answer.ok) throw new Error(`${method} ${path}: ${answer.status} ${text}`);
  return JSON.parse(text) as T;
}

/** The store: a fresh database on the test bed's PostgreSQL, as the chart runs the server (the embedded store would count its own memory in the server's). */
const storeUrl = () => freshDatabase(testBedPostgres(), 'sy_bench');

/** Applies the environment (no rollout wait), then starts `switchyard server` on it from the build. */
async function serve(cluster: BenchCluster, services: number, namespace: string): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), 'sy-bench-server-'));
  await writeTree(
    dir,
    new Map(Object.entries(fleetTexts({ services, namespace, context: cluster.context, release: RELEASE }))),
  );
  const env = { ...process.env, KUBECONFIG: cluster.kubeconfig, XDG_CONFIG_HOME: dir };
  const applied = spawn(process.execPath, [CLI, 'apply', dir, '--env', 'bench', '--timeout', '30m'], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const code = await new Promise<number | null>((resolve) => applied.on('close', resolve));
  if (code !== 0) throw new Error(`switchyard apply of ${services} services exited with ${code}`);
  const dataDir = join(dir, 'data');
  const api = `http://127.0.0.1:${await freePort('127.0.0.1')}`;
  const store = await storeUrl();
  const child = spawn(process.execPath, [CLI, 'server', dir, '--listen', new URL(api).host, '--data-dir', dataDir], {
    env: { ...env, SWITCHYARD_STORE_URL: store },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const tokenFile = join(dataDir, 'admin.token');
  for (let i = 0; i < 1200; i++) {
    if (child.exitCode !== null) throw new Error(`switchyard server exited with ${child.exitCode}`);
    if (existsSync(tokenFile)) {
      const served = { child, api, token: readFileSync(tokenFile, 'utf8').trim() };
      const ok = await call(served, 'GET', '/v1/status').then(
        () => true,
        () => false,
      );
      if (ok) return served;
    }
    await sleep(250);
  }
  throw new Error('switchyard server did not answer within 5 minutes');
}

/** CPU ticks (user + system) and resident memory of a process, from /proc. */
function sample(pid: number): { ticks: number; rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return { ticks, rssMiB: round(rssKiB / 1024, 1) };
}

async function idle(served: Served): Promise<{ rssMiB: number; cpuPercent: number }> {
  const pid = served.child.pid as number;
  await sleep(2_000); // start-up settles
  const before = sample(pid);
  await sleep(IDLE_SECONDS * 1000);
  const after = sample(pid);
  return {
    rssMiB: after.rssMiB,
    cpuPercent: round(((after.ticks - before.ticks) / TICKS_PER_SECOND / IDLE_SECONDS) * 100, 2),
  };
}

async function status(served: Served): Promise<{ p50Ms: number; p99Ms: number }> {
  const times: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const started = performance.now();
    await call(served, 'GET', '/v1/status');
    times.push(performance.now() - started);
  }
  return { p50Ms: round(percentile(times, 50), 1), p99Ms: round(percentile(times, 99), 1) };
}

interface ReleaseView {
  readonly id: string;
  readonly phase: string;
  readonly stage: { readonly index: number } | null;
  readonly status: string;
}

/** POST /v1/releases → the first stage applied (the release leaves its applying phase); then aborted. */
async function firstStage(served: Served, services: number): Promise<{ p50Ms: number; maxMs: number }> {
  const times: number[] = [];
  for (let i = 0; i < RELEASES; i++) {
    const service = serviceName(i % services);
    const started = performance.now();
    const release = await call<ReleaseView>(served, 'POST', '/v1/releases', { service, version: `2.0.${i}` });
    let view = release;
    while (view.phase === 'applying' && view.status === 'running') {
      await sleep(20);
      view = await call<ReleaseView>(served, 'GET', `/v1/releases/${release.id}`);
    }
    if (view.status !== 'running' || view.stage?.index !== 0)
      throw new Error(`release of ${service}: ${view.status}/${view.phase}`);
    times.push(performance.now() - started);
    await call(served, 'POST', `/v1/releases/${release.id}/abort`, { reason: 'benchmark' });
    while ((await call<ReleaseView>(served, 'GET', `/v1/releases/${release.id}`)).status === 'rolling-back')
      await sleep(100);
  }
  return { p50Ms: round(percentile(times, 50), 0), maxMs: round(Math.max(...times), 0) };
}

async function measure(cluster: BenchCluster, services: number, namespace: string) {
  log(`${services} service(s) in ${namespace}: apply, then switchyard server`);
  const served = await serve(cluster, services, namespace);
  try {
    log(`idle for ${IDLE_SECONDS} s`);
    const atIdle = await idle(served);
    log(`status × ${CALLS}`);
    const statusCalls = await status(served);
    log(`deploy → first stage × ${RELEASES}`);
    const deploy = await firstStage(served, services);
    return { services, idle: atIdle, status: statusCalls, deployToFirstStage: deploy };
  } finally {
    served.child.kill('SIGTERM');
    await new Promise((r) => served.child.once('close', r));
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const cluster = startBenchCluster('bench-server', 300);
  try {
    const nodes = await cluster.addNodes((SERVICES + 1) * 5);
    const one = await measure(cluster, 1, 'bench-one');
    const fleet = await measure(cluster, SERVICES, 'bench-fleet');
    const ratio = (a: number, b: number) => (b > 0 ? round(a / b, 2) : null);
    process.stdout.write(
      `${JSON.stringify(
        {
          benchmark: 'k8s-server',
          cluster: { kubernetes: 'v1.34.4', nodes: `kwok ×${nodes}`, cores: os.cpus().length },
          loadAverage: os.loadavg().map((l) => round(l, 1)),
          baseline: one,
          fleet,
          ratios: {
            idleRss: ratio(fleet.idle.rssMiB, one.idle.rssMiB),
            idleCpu: ratio(fleet.idle.cpuPercent, one.idle.cpuPercent),
            statusP99: ratio(fleet.status.p99Ms, one.status.p99Ms),
            deployToFirstStage: ratio(fleet.deployToFirstStage.p50Ms, one.deployToFirstStage.p50Ms),
          },
          totalSeconds: round((performance.now() - started) / 1000, 1),
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    cluster.down();
  }
}

await main();
