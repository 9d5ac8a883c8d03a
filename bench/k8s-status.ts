/**
 * Kubernetes status benchmark: BENCH_SERVICES services (default 200) × (4 tracks + router)
 * applied without waiting into a namespace of their own on the test bed (test/k8s, cluster
 * "sandbox"; $SWITCHYARD_TEST_KUBECONFIG, else /tmp/switchyard/k8s/kubeconfig). The baseline, in the same run, is the
 * runtime before start(): each status call lists Deployments and Pods. Then start() (list and
 * watch) and the same calls from the watched cache. Figures: API requests per status call (the
 * client's own count), p50/p99 of a status call, what start() cost, the heap the cache holds.
 * Prints JSON. Run with `bench/run k8s-status`; the namespace is deleted at the end.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KubeClient, KubernetesRuntime } from '../packages/switchyard/src/runtime/kubernetes/index.js';
import { parseConfig, resolveFleet } from '../packages/switchyard/src/spec/index.js';
import { benchLog, fleetTexts } from './k8s-bench.js';
import { percentile, round } from './lib.js';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 200);
const CALLS = Number(process.env.BENCH_CALLS ?? 50);
const KUBECONFIG =
  process.env.SWITCHYARD_TEST_KUBECONFIG ?? join(process.env.SWITCHYARD_RUN ?? '/tmp/switchyard', 'k8s', 'kubeconfig');
const CONTEXT = 'switchyard-sandbox';

const log = benchLog('k8s-status');
const texts = (namespace: string) => fleetTexts({ services: SERVICES, namespace, context: CONTEXT });

const total = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);

/** `CALLS` status calls: requests per call and the latency distribution. */
async function measure(runtime: KubernetesRuntime): Promise<{ requestsPerCall: number; p50Ms: number; p99Ms: number }> {
  const before = total(runtime.client.counts);
  const times: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t0 = performance.now();
    await runtime.status();
    times.push(performance.now() - t0);
  }
  return {
    requestsPerCall: round((total(runtime.client.counts) - before) / CALLS),
    p50Ms: round(percentile(times, 50)),
    p99Ms: round(percentile(times, 99)),
  };
}

async function main(): Promise<void> {
  if (!existsSync(KUBECONFIG)) throw new Error(`${KUBECONFIG} does not exist: start the test bed with test/k8s/up`);
  const namespace = `bench-status-${Date.now().toString(36)}`;
  const fleet = resolveFleet(parseConfig('bench', texts(namespace)), 'bench');
  const runtime = await KubernetesRuntime.connect({ fleet, kubeconfig: KUBECONFIG });
  const admin = await KubeClient.connect({ kubeconfig: KUBECONFIG, context: CONTEXT });
  try {
    log(`applying ${SERVICES} services into ${namespace} (no wait)`);
    await runtime.apply({ wait: false });
    const withoutCache = await measure(runtime);
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const counts = { ...runtime.client.counts };
    const t0 = performance.now();
    await runtime.start();
    const startMs = performance.now() - t0;
    const startRequests = total(runtime.client.counts) - total(counts);
    global.gc?.();
    const cacheHeapMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    const watched = await measure(runtime);
    const live = await runtime.status();
    process.stdout.write(
      `${JSON.stringify(
        {
          services: SERVICES,
          deployments: live.length * 5,
          pods: live.reduce((n, s) => n + s.tracks.reduce((m, t) => m + t.replicas.length, 0), 0),
          calls: CALLS,
          withoutCache,
          start: { ms: round(startMs), requests: startRequests, informers: runtime.watchCounts() },
          watched,
          cacheHeapMiB: round(cacheHeapMiB),
          p99Ratio: round(watched.p99Ms / withoutCache.p99Ms),
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    await runtime.stop();
    await admin.request('DELETE', `/api/v1/namespaces/${namespace}`).catch(() => undefined);
    admin.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
