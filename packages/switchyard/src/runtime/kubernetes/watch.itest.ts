/**
 * The Kubernetes runtime's watches, worker autoscaler and in-cluster credentials against the
 * real control plane of test/k8s (kwok nodes) and the test RabbitMQ (test/infra/up rabbitmq).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTaskProducer, RabbitMqDepth } from '@switchyard/worker';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INFRA_HINT, required } from '../../../test/support/bed.js';
import { baseTexts, fleetOf, setIn, type Texts } from '../../../test/support/config.js';
import type { Fleet } from '../../spec/index.js';
import { Informer, inventorySelector, KubeClient, KubernetesRuntime, type LiveDeployment } from './index.js';

const KUBECONFIG = required('SWITCHYARD_TEST_KUBECONFIG');
const CONTEXT = 'switchyard-sandbox';
const RUN = Date.now().toString(36);
const namespaces: string[] = [];
let admin: KubeClient;

function namespace(name: string): string {
  const ns = `watch-${RUN}-${name}`;
  namespaces.push(ns);
  return ns;
}

/** A service `api` (one track) and a worker `encoder` on its own queue, in namespace `ns`. */
function texts(ns: string, queue: string, extra: Texts = {}, context = CONTEXT): Texts {
  const base = baseTexts();
  let worker = setIn(base['services/encoder.yaml'] as string, 'queue.name', queue);
  worker = setIn(worker, 'normal.replicas', { min: 1, max: 4 });
  worker = setIn(worker, 'fallback.replicas', { min: 0, max: 1 });
  worker = setIn(worker, 'scaling', { tasksPerReplica: 5, cooldown: '4s' });
  const env = stringify({
    apiVersion: 'switchyard.dev/v1',
    kind: 'Environment',
    name: 'staging',
    runtime: 'kubernetes',
    cluster: { context, namespace: ns },
  });
  return { ...base, 'services/encoder.yaml': worker, 'environments/staging.yaml': env, ...extra };
}

const fleetIn = (t: Texts): Fleet => fleetOf(t, 'staging');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, read: () => Promise<T> | T, ok: (value: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${ms} ms`);
    await sleep(100);
  }
}

async function apply(fleet: Fleet, services?: string[]): Promise<void> {
  const applier = await KubernetesRuntime.connect({ fleet, kubeconfig: KUBECONFIG, wait: { timeoutMs: 120_000 } });
  try {
    await applier.apply(services ? { services } : {});
  } finally {
    applier.close();
  }
}

function scale(ns: string, deployment: string, replicas: number): Promise<unknown> {
  return admin.request('PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/${deployment}/scale`, {
    body: { spec: { replicas } },
    contentType: 'application/merge-patch+json',
  });
}

const total = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);

beforeAll(async () => {
  admin = await KubeClient.connect({ kubeconfig: KUBECONFIG, context: CONTEXT });
});

afterAll(async () => {
  for (const ns of namespaces) await admin?.request('DELETE', `/api/v1/namespaces/${ns}`).catch(() => undefined);
  admin?.close();
});

describe('schedule floors on the cluster', () => {
  it("raises the autoscaler's minimum or the Deployment's count, keeps the track's own count, and lets go", async () => {
    const ns = namespace('floor');
    const base = baseTexts()['services/api.yaml'] as string;
    const fleet = fleetIn(
      texts(ns, 'encode-floor', {
        'services/api.yaml': setIn(base, 'autoscaling', { cpu: { min: 2, max: 8 } }),
        'services/search.yaml': setIn(base, 'name', 'search'),
      }),
    );
    await apply(fleet, ['api', 'search']);
    const hpaMin = async () =>
      (
        await admin.request<{ spec: { minReplicas: number } }>(
          'GET',
          `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers/api-production`,
        )
      ).spec.minReplicas;
    const search = () =>
      admin.request<LiveDeployment>('GET', `/apis/apps/v1/namespaces/${ns}/deployments/search-production`);
    const runtime = await KubernetesRuntime.connect({ fleet, kubeconfig: KUBECONFIG });
    const restarted = await KubernetesRuntime.connect({ fleet, kubeconfig: KUBECONFIG });
    try {
      await runtime.start();
      const own = (await search()).spec.replicas;
      await runtime.setFloor('api', 6);
      await runtime.setFloor('search', 5);
      expect(await hpaMin()).toBe(6);
      expect((await search()).spec.replicas).toBe(5);
      // A later change of the unit keeps the floor: every apply renders it while it holds.
      await runtime.updateTrack('search', 'free', { replicas: 3 });
      expect((await search()).spec.replicas).toBe(5);
      // Another server reads the track's own count and the floor back from the cluster.
      await restarted.start();
      expect(restarted.desiredState('search')).toMatchObject({ floor: 5, tracks: { production: { replicas: own } } });
      await runtime.setFloor('api', undefined);
      await runtime.setFloor('search', undefined);
      expect(await hpaMin()).toBe(2);
      expect((await search()).spec.replicas).toBe(own);
    } finally {
      await runtime.stop();
      await restarted.stop();
    }
  });
});

describe('status from watches', () => {
  it('costs no request once warm, and follows a scale change and a new Deployment without listing again', async () => {
    const ns = namespace('status');
    const withSecond = texts(ns, 'encode-status', {
      'services/search.yaml': setIn(baseTexts()['services/api.yaml'] as string, 'name', 'search'),
    });
    const fleet = fleetIn(withSecond);
    await apply(fleet, ['api', 'encoder']);
    const runtime = await KubernetesRuntime.connect({ fleet, kubeconfig: KUBECONFIG, watchTimeoutSeconds: 2 });
    try {
      const cold = { ...runtime.client.counts };
      await runtime.status();
      const perCallBefore = total(runtime.client.counts) - total(cold);
      await runtime.start();
      expect(runtime.watchCounts()).toMatchObject({ lists: 3, errors: 0 });
      const warm = { ...runtime.client.counts };
      for (let i = 0; i < 100; i++) {
        await runtime.status();
        await runtime.workerStatus();
        await runtime.trackStatus('api', 'production');
      }
      expect(runtime.client.counts).toEqual(warm);
      console.log(
        `status requests: ${perCallBefore} per call without the cache; start() ${total(warm) - total(cold) - perCallBefore} ` +
          `(${JSON.stringify(warm)} in all); 300 status/workerStatus/trackStatus calls once warm: ${total(runtime.client.counts) - total(warm)}`,
      );

      // The API server ends each watch after 2 s: every informer resumes from its resourceVersion.
      await until(
        'watches resumed',
        () => runtime.watchCounts()?.watches ?? 0,
        (n) => n >= 9,
        15_000,
      );

      // A scale change made by someone else reaches status through the watch, and its listeners hear of it.
      let heard = 0;
      const unsubscribe = runtime.onChange(() => heard++);
      await scale(ns, 'api-production', 3);
      const scaled = await until(
        'api production',
        () => runtime.trackStatus('api', 'production'),
        (t) => t.desired === 3 && t.ready === 3 && t.replicas.filter((r) => r.state === 'ready').length === 3,
      );
      expect(scaled.replicas).toHaveLength(3);
      expect(heard).toBeGreaterThan(0);
      unsubscribe();
      const heardBefore = heard;

      // A Deployment created after start() (another unit applied) appears, its pods with it.
      const before = (await runtime.status()).find((s) => s.service === 'search');
      expect(before?.tracks[0]?.ready).toBe(0);
      await apply(fleet, ['search']);
      await until(
        'search',
        async () => (await runtime.status()).find((s) => s.service === 'search')?.tracks[0],
        (t) => t !== undefined && t.ready >= 1 && t.ready === t.desired,
      );

      // Resumed, never listed again; the listener that left heard nothing more.
      expect(runtime.watchCounts()).toMatchObject({ lists: 3, errors: 0 });
      expect(heard).toBe(heardBefore);
      await scale(ns, 'encoder', 2);
      await until(
        'encoder normal',
        () => runtime.workerStatus(),
        (w) => w[0]?.desired === 2 && w[0].ready === 2,
      );
      const gets = runtime.client.counts.GET;
      await runtime.status();
      expect(runtime.client.counts.GET).toBe(gets);
    } finally {
      await runtime.stop();
    }
  });

  it('lists again when its resourceVersion is gone (410), and keeps serving meanwhile', async () => {
    const ns = namespace('gone');
    const fleet = fleetIn(texts(ns, 'encode-gone'));
    await apply(fleet, ['api']);
    const informer = new Informer<LiveDeployment>(admin, {
      path: `/apis/apps/v1/namespaces/${ns}/deployments`,
      labelSelector: inventorySelector(fleet.environment.name),
      timeoutSeconds: 1,
    });
    await informer.start();
    try {
      expect(informer.cache.items().map((d) => d.metadata.name)).toEqual([
        'api-free',
        'api-internal',
        'api-paid',
        'api-production',
        'api-router',
      ]);
      // A resourceVersion long compacted away: the next watch is answered 410 Gone. (The API
      // server compacts every 5 minutes: on a cluster younger than that, revision 1 is still
      // there and this waits in vain; the test suite starts the cluster well before.) An event of
      // the running watch (the controllers still write status after the apply) moves the
      // resourceVersion on again, so it is put back until a watch starts from it.
      await until(
        'a second list',
        () => {
          informer.cache.apply({
            type: 'BOOKMARK',
            object: {
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              metadata: { name: '', resourceVersion: '1' },
              spec: {},
            },
          });
          return informer.counts.lists;
        },
        (n) => n >= 2,
        30_000,
      );
      expect(informer.counts.errors).toBe(0);
      await scale(ns, 'api-production', 4);
      await until(
        'the scale change after the list',
        () => informer.cache.get('api-production')?.spec.replicas,
        (n) => n === 4,
      );
    } finally {
      await informer.stop();
    }
    expect(informer.running).toBe(false);
  });
});

describe('the worker autoscaler on a cluster', () => {
  it('scales a worker class Deployment up within bounds on a burst, and down after the cooldown once drained', async () => {
    const amqpUrl = required('SWITCHYARD_TEST_AMQP_URL', INFRA_HINT);
    const managementUrl = required('SWITCHYARD_TEST_RABBIT_MGMT_URL', INFRA_HINT);
    const ns = namespace('autoscale');
    const queue = `encode-${randomUUID().slice(0, 8)}`;
    const fleet = fleetIn(texts(ns, queue));
    await apply(fleet, ['encoder']);
    const lines: string[] = [];
    const runtime = await KubernetesRuntime.connect({
      fleet,
      kubeconfig: KUBECONFIG,
      onProgress: (line) => lines.push(line),
      workers: { env: {}, depth: new RabbitMqDepth({ amqpUrl, managementUrl }), autoscaleIntervalMs: 300 },
    });
    const producer = await createTaskProducer({
      queue,
      service: 'encoder',
      metricsPort: false,
      brokerUrl: amqpUrl,
      storage: `file://${await mkdtemp(join(tmpdir(), 'sy-autoscale-'))}`,
    });
    const seen: number[] = [];
    const replicas = async (): Promise<number> => {
      const n = (await runtime.workerStatus())[0]?.desired ?? -1;
      seen.push(n);
      return n;
    };
    try {
      await runtime.start();
      await runtime.lead();
      expect(await replicas()).toBe(1);
      // 30 tasks at 5 per replica ask for 6: the class's maximum is 4.
      for (let i = 0; i < 30; i++) await producer.submit({ clip: `clip-${i}` }, { id: `task-${i}` });
      await until('scale up', replicas, (n) => n === 4, 20_000);
      await sleep(1000);
      expect(await replicas()).toBe(4);
      await purge(managementUrl, queue);
      const drained = Date.now();
      await until('scale down', replicas, (n) => n === 1, 30_000);
      // Not before the 4 s cooldown.
      expect(Date.now() - drained).toBeGreaterThanOrEqual(3500);
      expect(Math.max(...seen)).toBe(4);
      expect(Math.min(...seen)).toBe(1);
      expect(lines).toContain('encoder/normal: scaled to 4 replicas');

      // A follower leaves the scale alone.
      await runtime.follow();
      for (let i = 0; i < 30; i++) await producer.submit({ clip: `clip-${i}` }, { id: `again-${i}` });
      await sleep(2000);
      expect(await replicas()).toBe(1);
    } finally {
      await producer.close();
      await purge(managementUrl, queue).catch(() => undefined);
      await runtime.stop();
    }
  });
});

/** Empties a queue through the management API (no consumer runs on kwok). */
async function purge(managementUrl: string, queue: string): Promise<void> {
  const url = new URL(managementUrl);
  const auth = Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString(
    'base64',
  );
  const res = await fetch(`${url.protocol}//${url.host}/api/queues/%2F/${encodeURIComponent(queue)}/contents`, {
    method: 'DELETE',
    headers: { Authorization: `Basic ${auth}` },
  });
  if (!res.ok) throw new Error(`purging ${queue}: HTTP ${res.status}`);
}

describe('in a pod', () => {
  it("uses the service account's token and CA when there is no kubeconfig, whatever cluster.context says", async () => {
    const ns = namespace('incluster');
    await admin.request('POST', '/api/v1/namespaces', { body: { metadata: { name: ns } } });
    await admin.request('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, {
      body: { metadata: { name: 'switchyard' } },
    });
    const binding = `watch-${RUN}-incluster`;
    await admin.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      body: {
        metadata: { name: binding },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'ServiceAccount', name: 'switchyard', namespace: ns }],
      },
    });
    const saved = { ...process.env };
    try {
      const token = await admin.request<{ status: { token: string } }>(
        'POST',
        `/api/v1/namespaces/${ns}/serviceaccounts/switchyard/token`,
        { body: { spec: { expirationSeconds: 600 } } },
      );
      // What the kubelet mounts into a pod.
      const root = await mkdtemp(join(tmpdir(), 'sy-pod-'));
      const dir = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'token'), token.status.token);
      await writeFile(join(dir, 'ca.crt'), Buffer.from(admin.kubeConfig.getCurrentCluster()?.caData ?? '', 'base64'));
      await writeFile(join(dir, 'namespace'), ns);
      const server = new URL(admin.server);
      delete process.env.KUBECONFIG;
      process.env.HOME = root;
      process.env.KUBERNETES_SERVICE_HOST = server.hostname;
      process.env.KUBERNETES_SERVICE_PORT = server.port;

      const client = await KubeClient.connect({ serviceAccountRoot: root, context: 'no-such-context' });
      try {
        const review = await client.request<{ status: { userInfo: { username: string } } }>(
          'POST',
          '/apis/authentication.k8s.io/v1/selfsubjectreviews',
          { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } },
        );
        expect(review.status.userInfo.username).toBe(`system:serviceaccount:${ns}:switchyard`);
      } finally {
        client.close();
      }

      // The runtime of an environment whose cluster.context exists nowhere here: it is not
      // looked up, and the cluster identity check still runs.
      const fleet = fleetIn(texts(ns, 'encode-pod', {}, 'video-staging'));
      const runtime = await KubernetesRuntime.connect({ fleet, serviceAccountRoot: root });
      try {
        await runtime.start();
        expect((await runtime.status()).map((s) => s.service)).toEqual(['api']);
      } finally {
        await runtime.stop();
      }
    } finally {
      process.env = saved;
      await admin
        .request('DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${binding}`)
        .catch(() => undefined);
    }
  });
});
