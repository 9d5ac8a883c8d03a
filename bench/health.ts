/**
 * Fleet health on a Kubernetes environment of 500 services (4 tracks of 2 replicas, each
 * needing 2 ready endpoints, and a router) on a test-bed cluster of its
 * own (test/k8s, cluster "bench-health", kwok nodes), `switchyard server` on it with an alert
 * rule that fires at once on `track-endpoints` and a generic webhook receiver in this process.
 * Each round takes one production pod of a service out of ready (its Ready condition set to
 * False through the status subresource, as a failing readiness probe would) and measures:
 *   - watch: until a plain watch of the namespace's Deployments (here, in this process) sees
 *     the Deployment's readyReplicas drop — the cluster's own part;
 *   - finding: until the server's health finding was first seen (its `since`);
 *   - notified: until the receiver got the firing notification;
 *   - resolved: from putting the pod back to ready until the resolved notification.
 * Then `GET /v1/health` p50/p99 against `GET /v1/status` (the same runtime read), and the
 * server's CPU at rest. The baseline is the same server serving a one-service environment of
 * the same cluster, in the same run: each figure is printed with its ratio to it.
 * Prints JSON. Run with `bench/run health`.
 *   BENCH_SERVICES (default 500), BENCH_ROUNDS (10), BENCH_CALLS (200), BENCH_IDLE_SECONDS (30),
 *   BENCH_KEEP=1 keeps the cluster up afterwards.
 */
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import { LABEL, trackObjectName } from '../packages/switchyard/src/render/index.js';
import { KubeClient } from '../packages/switchyard/src/runtime/kubernetes/index.js';
import { freePort } from '../packages/switchyard/src/runtime/index.js';
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
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const CALLS = Number(process.env.BENCH_CALLS ?? 200);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
const WEBHOOK_VARIABLE = 'BENCH_HEALTH_WEBHOOK_URL';
const log = benchLog('health');

/** Fires as soon as a track is below its ready endpoints; resolved as soon as it is back. */
const ALERTS = {
  rules: [{ name: 'endpoints-now', checks: ['track-endpoints'], severity: 'warning', for: '0s' }],
  receivers: [{ name: 'bench', type: 'webhook', urlFrom: WEBHOOK_VARIABLE }],
};

interface Received {
  /** When it arrived here (ms since the epoch). */
  readonly arrivedAt: number;
  readonly status: 'firing' | 'resolved';
  readonly service: string;
  readonly findings: readonly { check: string; part: string }[];
}

/** The generic webhook receiver: every notification with when it arrived. */
async function receiver(): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ ...(JSON.parse(body) as Omit<Received, 'arrivedAt'>), arrivedAt: Date.now() });
      res.writeHead(204).end();
    });
  });
  const port = await freePort('127.0.0.1');
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}/hook`, received, server };
}

/** When each Deployment's readyReplicas changed, as a plain watch sees it. */
class DeploymentWatch {
  readonly changes: { at: number; name: string; ready: number }[] = [];
  private readonly abort = new AbortController();
  private done: Promise<void> | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
  ) {}

  async start(): Promise<void> {
    const path = `/apis/apps/v1/namespaces/${this.namespace}/deployments`;
    const list = await this.client.request<{ metadata: { resourceVersion: string } }>('GET', path, {
      query: { limit: 1 },
    });
    this.done = this.client.watch<{ metadata: { name: string }; status?: { readyReplicas?: number } }>(
      path,
      { resourceVersion: list.metadata.resourceVersion, timeoutSeconds: 3600 },
      (event) => {
        if (event.type !== 'MODIFIED') return;
        this.changes.push({
          at: Date.now(),
          name: event.object.metadata.name,
          ready: event.object.status?.readyReplicas ?? 0,
        });
      },
      this.abort.signal,
    );
  }

  /** The first time since `t0` the Deployment was seen below `ready`. */
  firstBelow(name: string, ready: number, t0: number): number | undefined {
    return this.changes.find((c) => c.at >= t0 && c.name === name && c.ready < ready)?.at;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.done?.catch(() => undefined);
  }
}

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => T | undefined | Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(10);
  }
}

interface HealthView {
  readonly worst: string;
  readonly findings: readonly { check: string; unit: string; part: string; since: string; message: string }[];
}

/** Sets the pod's Ready condition as its kubelet would after its readiness probe changed. */
async function setReady(admin: KubeClient, namespace: string, pod: string, ready: boolean): Promise<void> {
  await admin.request('PATCH', `/api/v1/namespaces/${namespace}/pods/${pod}/status`, {
    contentType: 'application/strategic-merge-patch+json',
    body: { status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } },
  });
}

const summary = (values: readonly number[]) => ({
  p50Ms: round(percentile(values, 50), 0),
  maxMs: round(Math.max(...values), 0),
});

async function rounds(served: Served, admin: KubeClient, namespace: string, services: number, hook: Received[]) {
  const watch = new DeploymentWatch(admin, namespace);
  await watch.start();
  const figures = {
    watch: [] as number[],
    finding: [] as number[],
    notified: [] as number[],
    resolved: [] as number[],
  };
  try {
    for (let i = 0; i < ROUNDS; i++) {
      const service = serviceName((i * 37) % services);
      const deployment = trackObjectName(service, 'production');
      const pods = await admin.request<{ items: { metadata: { name: string } }[] }>(
        'GET',
        `/api/v1/namespaces/${namespace}/pods`,
        { query: { labelSelector: `${LABEL.service}=${service},${LABEL.track}=production` } },
      );
      const pod = pods.items[0]?.metadata.name;
      if (!pod) throw new Error(`${deployment} has no pod`);
      const seen = hook.length;
      const t0 = Date.now();
      await setReady(admin, namespace, pod, false);
      const fired = await until(`the firing notification of ${service}`, 60_000, () =>
        hook
          .slice(seen)
          .find(
            (n) => n.status === 'firing' && n.service === service && n.findings.some((f) => f.part === 'production'),
          ),
      );
      const health = await call<HealthView>(served, 'GET', `/v1/health`);
      const finding = health.findings.find(
        (f) => f.check === 'track-endpoints' && f.unit === service && f.part === 'production',
      );
      if (!finding) throw new Error(`no track-endpoints finding for ${deployment}: ${JSON.stringify(health.findings)}`);
      const watched = await until(`the watch of ${deployment}`, 10_000, () => watch.firstBelow(deployment, 2, t0));
      figures.watch.push(watched - t0);
      figures.finding.push(Date.parse(finding.since) - t0);
      figures.notified.push(fired.arrivedAt - t0);
      const back = Date.now();
      const seenBack = hook.length;
      await setReady(admin, namespace, pod, true);
      const resolved = await until(`the resolved notification of ${service}`, 60_000, () =>
        hook.slice(seenBack).find((n) => n.status === 'resolved' && n.service === service),
      );
      figures.resolved.push(resolved.arrivedAt - back);
    }
  } finally {
    await watch.stop();
  }
  return {
    watch: summary(figures.watch),
    finding: summary(figures.finding),
    notified: summary(figures.notified),
    resolved: summary(figures.resolved),
  };
}

async function reads(served: Served, path: string): Promise<{ p50Ms: number; p99Ms: number }> {
  const times: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const started = performance.now();
    await call(served, 'GET', path);
    times.push(performance.now() - started);
  }
  return { p50Ms: round(percentile(times, 50), 1), p99Ms: round(percentile(times, 99), 1) };
}

async function atRest(served: Served): Promise<{ cpuPercent: number; rssMiB: number }> {
  const pid = served.child.pid as number;
  const before = processSample(pid);
  await sleep(IDLE_SECONDS * 1000);
  const after = processSample(pid);
  return {
    cpuPercent: round(((after.ticks - before.ticks) / TICKS_PER_SECOND / IDLE_SECONDS) * 100, 2),
    rssMiB: after.rssMiB,
  };
}

async function measure(cluster: BenchCluster, admin: KubeClient, services: number, namespace: string) {
  const hook = await receiver();
  log(`${services} service(s) in ${namespace}: apply, then switchyard server`);
  const texts = fleetTexts({ services, namespace, context: cluster.context, replicasPerTrack: 2, alerts: ALERTS });
  const served = await serveFleet(cluster, texts, { [WEBHOOK_VARIABLE]: hook.url });
  try {
    log('waiting for every track to be ready (health ok)');
    await until('a healthy fleet', 20 * 60_000, async () => {
      const health = await call<HealthView>(served, 'GET', '/v1/health');
      await sleep(1000);
      return health.worst === 'ok' ? true : undefined;
    });
    log(`idle for ${IDLE_SECONDS} s`);
    const rest = await atRest(served);
    log(`${ROUNDS} round(s): a production pod out of ready, then back`);
    const timing = await rounds(served, admin, namespace, services, hook.received);
    log(`GET /v1/health and /v1/status × ${CALLS}`);
    const health = await reads(served, '/v1/health');
    const status = await reads(served, '/v1/status');
    return { services, ...timing, health, status, atRest: rest };
  } finally {
    await served.stop();
    hook.server.close();
    await admin.request('DELETE', `/api/v1/namespaces/${namespace}`).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const cluster = startBenchCluster('bench-health', 400);
  const admin = await KubeClient.connect({ kubeconfig: cluster.kubeconfig, context: cluster.context });
  try {
    const nodes = await cluster.addNodes((SERVICES + 1) * 9);
    const one = await measure(cluster, admin, 1, 'bench-health-one');
    const fleet = await measure(cluster, admin, SERVICES, 'bench-health-fleet');
    const ratio = (a: number, b: number) => (b > 0 ? round(a / b, 2) : null);
    process.stdout.write(
      `${JSON.stringify(
        {
          benchmark: 'health',
          cluster: { nodes: `kwok ×${nodes}`, cores: os.cpus().length },
          loadAverage: os.loadavg().map((l) => round(l, 1)),
          baseline: one,
          fleet,
          ratios: {
            findingOverWatch: ratio(fleet.finding.p50Ms, fleet.watch.p50Ms),
            finding: ratio(fleet.finding.p50Ms, one.finding.p50Ms),
            notified: ratio(fleet.notified.p50Ms, one.notified.p50Ms),
            healthP99: ratio(fleet.health.p99Ms, one.health.p99Ms),
            healthOverStatusP99: ratio(fleet.health.p99Ms, fleet.status.p99Ms),
            cpuAtRest: ratio(fleet.atRest.cpuPercent, one.atRest.cpuPercent),
          },
          totalSeconds: round((performance.now() - started) / 1000, 1),
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    admin.close();
    cluster.down();
  }
}

await main();
