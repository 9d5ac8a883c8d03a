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
import os from 'node:os';
import {
  benchLog,
  call,
  fleetTexts,
  processSample,
  serveFleet,
  serviceName,
  sleep,
  startBenchCluster,
  TICKS_PER_SECOND,
  type BenchCluster,
  type Served,
} from './k8s-bench.js';
import { percentile, round } from './lib.js';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 500);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
const CALLS = Number(process.env.BENCH_CALLS ?? 200);
const RELEASES = Number(process.env.BENCH_RELEASES ?? 3);
const log = benchLog('k8s-server');

/** One approval stage on the internal track, so the release stops once its first stage is applied. */
const RELEASE = {
  stages: [{ name: 'internal', track: 'internal', duration: '1s', approval: true }],
  minRequests: 0,
};

async function idle(served: Served): Promise<{ rssMiB: number; cpuPercent: number }> {
  const pid = served.child.pid as number;
  await sleep(2_000); // start-up settles
  const before = processSample(pid);
  await sleep(IDLE_SECONDS * 1000);
  const after = processSample(pid);
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
  const served = await serveFleet(
    cluster,
    fleetTexts({ services, namespace, context: cluster.context, release: RELEASE }),
  );
  try {
    log(`idle for ${IDLE_SECONDS} s`);
    const atIdle = await idle(served);
    log(`status × ${CALLS}`);
    const statusCalls = await status(served);
    log(`deploy → first stage × ${RELEASES}`);
    const deploy = await firstStage(served, services);
    return { services, idle: atIdle, status: statusCalls, deployToFirstStage: deploy };
  } finally {
    await served.stop();
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
