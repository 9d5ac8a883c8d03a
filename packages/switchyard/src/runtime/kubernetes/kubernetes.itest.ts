/**
 * The Kubernetes runtime against the real control plane of test/k8s (kube-apiserver, etcd,
 * controller-manager, scheduler, kwok nodes). test/run starts two clusters and sources their
 * env.sh: SWITCHYARD_TEST_KUBECONFIG (cluster "sandbox") and SWITCHYARD_TEST_KUBECONFIG_SECOND.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwitchyardError } from '../../errors/index.js';
import {
  ACTIVE_STATUSES,
  Orchestrator,
  type ReleaseRepository,
  type ReleaseState,
  type SequencedCommand,
} from '../../release/index.js';
import { GateMetrics } from '../../release/metrics/index.js';
import { renderFleet, type KubeObject } from '../../render/index.js';
import { parseConfig, resolveFleet, type Fleet } from '../../spec/index.js';
import { required } from '../../../test/support/bed.js';
import { REPO_ROOT, runCli } from '../../../test/support/cli.js';
import { SERVICE, setIn, type Texts } from '../../../test/support/config.js';
import type { Runtime, RuntimeEvent } from '../index.js';
import {
  createRuntime,
  inventorySelector,
  KubeClient,
  KubernetesRuntime,
  listAll,
  plan,
  readIdentity,
  type LivePod,
} from './index.js';

const KUBECONFIG = required('SWITCHYARD_TEST_KUBECONFIG');
const KUBECONFIG_SECOND = required('SWITCHYARD_TEST_KUBECONFIG_SECOND');
const AUDIT_LOG = required('SWITCHYARD_TEST_AUDIT_LOG');
const CONTEXT = 'switchyard-sandbox';
const CONTEXT_SECOND = 'switchyard-second';
const EXAMPLE = join(REPO_ROOT, 'examples/video-platform');
const RUN = Date.now().toString(36);
const namespaces: string[] = [];

function exampleTexts(): Texts {
  const texts: Texts = {};
  for (const sub of ['services', 'environments']) {
    for (const file of readdirSync(join(EXAMPLE, sub)))
      texts[`${sub}/${file}`] = readFileSync(join(EXAMPLE, sub, file), 'utf8');
  }
  return texts;
}

function namespace(name: string): string {
  const ns = `it-${RUN}-${name}`;
  namespaces.push(ns);
  return ns;
}

/** The example fleet for `env`, pointed at a test-bed context and namespace. */
function fleetFor(
  texts: Texts,
  env: string,
  cluster: { context: string; namespace: string; identity?: string },
): Fleet {
  const file = `environments/${env}.yaml`;
  let text = setIn(
    setIn(texts[file] as string, 'cluster.context', cluster.context),
    'cluster.namespace',
    cluster.namespace,
  );
  if (cluster.identity) text = setIn(text, 'cluster.identity', cluster.identity);
  return resolveFleet(parseConfig(EXAMPLE, { ...texts, [file]: text }), env);
}

/** A small service of its own (for failures): `extra` is merged into the service file. */
function extraService(name: string, extra: Record<string, unknown>): string {
  let text = setIn(SERVICE, 'name', name);
  text = setIn(text, 'tracks', { production: { replicas: 2 } });
  for (const [path, value] of Object.entries(extra)) text = setIn(text, path, value);
  return text;
}

async function connect(
  fleet: Fleet,
  options: { kubeconfig?: string; lines?: string[]; timeoutMs?: number } = {},
): Promise<KubernetesRuntime> {
  return KubernetesRuntime.connect({
    fleet,
    kubeconfig: options.kubeconfig ?? KUBECONFIG,
    onProgress: (line) => options.lines?.push(line),
    wait: { timeoutMs: options.timeoutMs ?? 180_000, unschedulableAfterMs: 5_000 },
  });
}

/** Write requests by our client, from the API server's audit log, in the given namespaces. */
function auditWrites(fromOffset: number, inNamespaces: readonly string[]): string[] {
  const text = readFileSync(AUDIT_LOG).subarray(fromOffset).toString('utf8');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('switchyard-admin')) continue;
    const event = JSON.parse(line) as {
      verb: string;
      requestURI: string;
      user: { username: string };
      objectRef?: { namespace?: string; resource?: string; name?: string };
    };
    if (
      event.user.username !== 'switchyard-admin' ||
      !['create', 'update', 'patch', 'delete', 'deletecollection'].includes(event.verb)
    )
      continue;
    // A server-side dry run is audited too, and writes nothing.
    if (/[?&]dryRun=/.test(event.requestURI)) continue;
    if (!inNamespaces.includes(event.objectRef?.namespace ?? '')) continue;
    out.push(`${event.verb} ${event.objectRef?.resource}/${event.objectRef?.name}`);
  }
  return out;
}

const auditSize = (): number => statSync(AUDIT_LOG).size;
const settle = () => new Promise((r) => setTimeout(r, 500));

async function live(client: KubeClient, ns: string, plural: string, apiVersion: string): Promise<KubeObject[]> {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return (await client.request<{ items: KubeObject[] }>('GET', `${base}/namespaces/${ns}/${plural}`)).items;
}

async function expectError(work: Promise<unknown>, code: string): Promise<SwitchyardError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SwitchyardError);
  expect((err as SwitchyardError).code).toBe(code);
  return err as SwitchyardError;
}

let admin: KubeClient;
let secondAdmin: KubeClient;

beforeAll(async () => {
  admin = await KubeClient.connect({ kubeconfig: KUBECONFIG, context: CONTEXT });
  secondAdmin = await KubeClient.connect({ kubeconfig: KUBECONFIG_SECOND, context: CONTEXT_SECOND });
});

afterAll(async () => {
  for (const ns of namespaces) {
    for (const client of [admin, secondAdmin])
      await client?.request('DELETE', `/api/v1/namespaces/${ns}`).catch(() => undefined);
  }
  admin?.close();
  secondAdmin?.close();
});

describe('the example fleet on the test bed', () => {
  let texts = exampleTexts();
  const ns = namespace('staging');
  const fleet = fleetFor(texts, 'staging', { context: CONTEXT, namespace: ns });
  const desired = renderFleet(fleet).flatMap((u) => u.objects);

  it('is validated by the API server (server-side dry run) without a write', async () => {
    const runtime = await connect(fleet);
    const before = auditSize();
    try {
      const result = await runtime.apply({ dryRun: true });
      expect(result.dryRun).toBe(true);
      expect(result.applied).toHaveLength(desired.length);
      expect(result.applied).toContain('ScaledObject/encoding-worker');
    } finally {
      runtime.close();
    }
    await settle();
    expect(auditWrites(before, [ns])).toEqual([]);
    await expectError(admin.request('GET', `/api/v1/namespaces/${ns}`), 'SWY_KUBE_API_ERROR').then((e) =>
      expect(e.details.httpStatus).toBe(404),
    );
  });

  it('is applied and becomes Ready on kwok nodes, with ready endpoints per track', async () => {
    const lines: string[] = [];
    const runtime = await connect(fleet, { lines });
    try {
      const result = await runtime.apply();
      expect(result.namespaceCreated).toBe(true);
      expect(result.applied).toHaveLength(desired.length);
      const endpoints = await runtime.endpoints('catalog-api');
      for (const track of ['internal', 'free', 'paid', 'production'])
        expect(endpoints[track]?.length).toBeGreaterThanOrEqual(1);
    } finally {
      runtime.close();
    }
    expect(lines.some((l) => l.startsWith('✔ catalog-api-internal rolled out'))).toBe(true);
    const pods = (await live(admin, ns, 'pods', 'v1')) as LivePod[];
    expect(pods.length).toBeGreaterThan(20);
    for (const pod of pods) {
      expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      const node = (pod.spec as { nodeName?: string }).nodeName ?? '';
      expect(node).toMatch(/^kwok-/);
      // The renderer requires node class 1:4 and on-demand capacity for catalog-api's tracks.
      if (
        pod.metadata.labels?.['switchyard.dev/service'] === 'catalog-api' &&
        pod.metadata.labels['switchyard.dev/track']
      )
        expect(node).toMatch(/^kwok-general-/);
    }
    const ns_ = await admin.request<{ metadata: { labels: Record<string, string> } }>(
      'GET',
      `/api/v1/namespaces/${ns}`,
    );
    expect(ns_.metadata.labels['app.kubernetes.io/managed-by']).toBe('switchyard');
  });

  it('applies the same state a second time without a single write (audit log)', async () => {
    const runtime = await connect(fleet);
    const before = auditSize();
    try {
      const result = await runtime.apply();
      expect(result.applied).toEqual([]);
      expect(result.unchanged).toBe(desired.length);
    } finally {
      runtime.close();
    }
    await settle();
    expect(auditWrites(before, [ns, 'kube-system'])).toEqual([]);
  });

  it('rolls a version change', async () => {
    texts = {
      ...texts,
      'services/catalog-api.yaml': setIn(texts['services/catalog-api.yaml'] as string, 'version', '1.5.0'),
    };
    const runtime = await connect(fleetFor(texts, 'staging', { context: CONTEXT, namespace: ns }));
    const before = auditSize();
    try {
      const result = await runtime.apply();
      expect(result.applied).toEqual([
        'Deployment/catalog-api-free',
        'Deployment/catalog-api-internal',
        'Deployment/catalog-api-paid',
        'Deployment/catalog-api-production',
      ]);
    } finally {
      runtime.close();
    }
    const deployments = await live(admin, ns, 'deployments', 'apps/v1');
    for (const d of deployments.filter(
      (o) =>
        o.metadata.labels?.['switchyard.dev/service'] === 'catalog-api' && o.metadata.labels['switchyard.dev/track'],
    )) {
      const spec = d.spec as { template: { spec: { containers: { image: string }[] } } };
      expect(spec.template.spec.containers[0]?.image).toBe('registry.example.com/video/catalog-api:1.5.0');
      expect((d.status as { updatedReplicas: number; availableReplicas: number }).updatedReplicas).toBe(
        (d.status as { availableReplicas: number }).availableReplicas,
      );
    }
    const pods = (await live(admin, ns, 'pods', 'v1')) as LivePod[];
    const catalog = pods.filter(
      (p) =>
        p.metadata.labels?.['switchyard.dev/track'] &&
        p.metadata.labels['switchyard.dev/service'] === 'catalog-api' &&
        !p.metadata.deletionTimestamp,
    );
    expect(catalog.every((p) => p.metadata.labels?.['switchyard.dev/version'] === '1.5.0')).toBe(true);
    await settle();
    expect(auditWrites(before, [ns]).filter((w) => w.startsWith('patch deployments/'))).toHaveLength(4);
  });

  it('prunes a removed service and leaves objects Switchyard does not own alone', async () => {
    const handMade: KubeObject[] = [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'thumbnail-notes', namespace: ns, labels: { 'switchyard.dev/service': 'thumbnail' } },
        data: { owner: 'a person' },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'hand-made', namespace: ns },
        spec: { ports: [{ port: 80 }], selector: { app: 'x' } },
      },
    ];
    for (const o of handMade)
      await admin.request('POST', `/api/v1/namespaces/${ns}/${o.kind === 'Service' ? 'services' : 'configmaps'}`, {
        body: o,
      });
    const without = Object.fromEntries(Object.entries(texts).filter(([file]) => file !== 'services/thumbnail.yaml'));
    const withoutOverlay = {
      ...without,
      'environments/staging.yaml': (without['environments/staging.yaml'] as string).replace(
        /\n {2}thumbnail:\n(?: {4}.*\n)+/,
        '\n',
      ),
    };
    const runtime = await connect(fleetFor(withoutOverlay, 'staging', { context: CONTEXT, namespace: ns }));
    try {
      const result = await runtime.apply();
      expect(result.applied).toEqual([]);
      expect(result.pruned).toEqual(
        expect.arrayContaining([
          'ConfigMap/thumbnail-router',
          'Deployment/thumbnail-free',
          'Deployment/thumbnail-router',
          'HorizontalPodAutoscaler/thumbnail-production',
          'PodDisruptionBudget/thumbnail-paid',
          'Service/thumbnail',
          'Service/thumbnail-internal',
        ]),
      );
      expect(result.pruned.every((k) => k.includes('thumbnail'))).toBe(true);
    } finally {
      runtime.close();
    }
    const names = async (plural: string, apiVersion: string) =>
      (await live(admin, ns, plural, apiVersion)).map((o) => o.metadata.name);
    expect((await names('deployments', 'apps/v1')).filter((n) => n.startsWith('thumbnail'))).toEqual([]);
    expect(await names('configmaps', 'v1')).toContain('thumbnail-notes');
    expect(await names('services', 'v1')).toContain('hand-made');
    expect(await names('deployments', 'apps/v1')).toContain('catalog-api-free');
  });
});

describe('scaling on the cluster', () => {
  it('scales a track and a worker class (scale subresource), and a later apply keeps both counts', async () => {
    const ns = namespace('scaling');
    const runtime = await connect(fleetFor(exampleTexts(), 'staging', { context: CONTEXT, namespace: ns }));
    const services = ['api-gateway', 'encoding-worker'];
    try {
      await runtime.apply({ services });
      await runtime.updateTrack('api-gateway', 'production', { replicas: 3 });
      let ready: string[] = [];
      for (let i = 0; i < 100 && ready.length !== 3; i++) {
        ready = (await runtime.endpoints('api-gateway')).production ?? [];
        if (ready.length !== 3) await new Promise((r) => setTimeout(r, 200));
      }
      expect(ready).toHaveLength(3);
      const worker = runtime.scaleTarget('encoding-worker', 'normal');
      expect(await worker.current()).toEqual({ replicas: 2 });
      await worker.scaleTo(4);
      expect(await worker.current()).toEqual({ replicas: 4 });
      await runtime.waitForRollout(['encoding-worker']);
      const again = await runtime.apply({ services });
      expect(again.applied).toEqual([]);
      expect(await worker.current()).toEqual({ replicas: 4 });
      const gateway = await admin.request<{ spec: { replicas: number } }>(
        'GET',
        `/apis/apps/v1/namespaces/${ns}/deployments/api-gateway-production`,
      );
      expect(gateway.spec.replicas).toBe(3);
    } finally {
      runtime.close();
    }
  });
});

describe('rollouts that cannot complete', () => {
  const ns = namespace('failures');
  const texts = exampleTexts();

  async function applyOne(name: string, extra: Record<string, unknown>, timeoutMs = 60_000): Promise<SwitchyardError> {
    const fleet = fleetFor({ ...texts, [`services/${name}.yaml`]: extraService(name, extra) }, 'staging', {
      context: CONTEXT,
      namespace: ns,
    });
    const runtime = await connect(fleet, { timeoutMs });
    try {
      const err = await runtime.apply({ services: [name] }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SwitchyardError);
      return err as SwitchyardError;
    } finally {
      runtime.close();
    }
  }

  it("names a pod no node can hold, with the scheduler's reason", async () => {
    const err = await applyOne('huge', { resources: { cpu: '100', memory: '1Gi' } });
    expect(err.code).toBe('SWY_KUBE_ROLLOUT_FAILED');
    expect(err.message).toMatch(
      /pod huge-production-[a-z0-9-]+ cannot be scheduled: 0\/\d+ nodes are available: .*Insufficient cpu/,
    );
  });

  it('times out on a Deployment whose pods never become ready, saying so', async () => {
    const err = await applyOne('stuck', { labels: { 'switchyard.dev/simulate': 'never-ready' } }, 15_000);
    expect(err.code).toBe('SWY_KUBE_ROLLOUT_TIMEOUT');
    expect(err.message).toContain('stuck-production: 2/2 updated, 0/2 ready');
    expect(err.message).toContain('runs but is not ready (its readiness probe fails');
  });

  it('fails at once on a crash loop and on an image that cannot be pulled', async () => {
    const crash = await applyOne('crashy', { labels: { 'switchyard.dev/simulate': 'crash-loop' } });
    expect(crash.code).toBe('SWY_KUBE_ROLLOUT_FAILED');
    expect(crash.message).toMatch(/container crashy keeps crashing \(5 restarts, last exit code 1 Error\)/);
    const pull = await applyOne('pully', { labels: { 'switchyard.dev/simulate': 'image-pull-error' } });
    expect(pull.code).toBe('SWY_KUBE_ROLLOUT_FAILED');
    expect(pull.message).toContain(
      'image registry.example.com/video/api:1.0.0 of container pully cannot be pulled (ImagePullBackOff',
    );
  });
});

describe('killed mid-apply', () => {
  it('converges to the same state when started again', async () => {
    const ns = namespace('killed');
    const texts = exampleTexts();
    const fleet = fleetFor(texts, 'staging', { context: CONTEXT, namespace: ns });
    const dist = join(REPO_ROOT, 'packages/switchyard/dist');
    if (!existsSync(join(dist, 'runtime/kubernetes/index.js')))
      throw new Error(`${dist} is not built: run scripts/bootstrap (test/run does)`);
    const staging = setIn(
      setIn(texts['environments/staging.yaml'] as string, 'cluster.context', CONTEXT),
      'cluster.namespace',
      ns,
    );
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `
      const { parseConfig, resolveFleet } = await import(${JSON.stringify(join(dist, 'spec/index.js'))});
      const { KubernetesRuntime } = await import(${JSON.stringify(join(dist, 'runtime/kubernetes/index.js'))});
      const texts = JSON.parse(process.env.SY_TEXTS);
      const fleet = resolveFleet(parseConfig(${JSON.stringify(EXAMPLE)}, texts), 'staging');
      const runtime = await KubernetesRuntime.connect({ fleet, kubeconfig: process.env.SY_KUBECONFIG, concurrency: 1, onProgress: (l) => console.log(l) });
      await runtime.apply();
    `,
      ],
      {
        env: {
          ...process.env,
          SY_TEXTS: JSON.stringify({ ...texts, 'environments/staging.yaml': staging }),
          SY_KUBECONFIG: KUBECONFIG,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        // Services come before Deployments: killed here, the apply is surely half done.
        if (out.includes('applied Service/')) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`the child apply ended before it could be killed:\n${out}`)));
    });
    expect(await exited).toBe('SIGKILL');
    const desired = renderFleet(fleet).flatMap((u) => u.objects);
    const half = await live(admin, ns, 'deployments', 'apps/v1');
    expect(half.length).toBeLessThan(desired.filter((o) => o.kind === 'Deployment').length);

    const runtime = await connect(fleet);
    try {
      const result = await runtime.apply();
      expect(result.applied.length).toBeGreaterThan(0);
      expect(result.applied.length + result.unchanged).toBe(desired.length);
    } finally {
      runtime.close();
    }
    const inventory = (
      await Promise.all(
        (
          [
            'configmaps:v1:ConfigMap',
            'services:v1:Service',
            'deployments:apps/v1:Deployment',
            'poddisruptionbudgets:policy/v1:PodDisruptionBudget',
            'horizontalpodautoscalers:autoscaling/v2:HorizontalPodAutoscaler',
            'scaledobjects:keda.sh/v1alpha1:ScaledObject',
            'ingresses:networking.k8s.io/v1:Ingress',
          ] as const
        ).map(async (spec) => {
          const [plural, apiVersion, kind] = spec.split(':') as [string, string, string];
          const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
          return (await listAll(admin, `${base}/namespaces/${ns}/${plural}`, inventorySelector('staging'))).map(
            (o) => ({ ...o, kind, apiVersion }),
          );
        }),
      )
    ).flat();
    const again = plan(desired, inventory);
    expect(again.apply).toEqual([]);
    expect(again.prune).toEqual([]);
    expect(inventory).toHaveLength(desired.length);
    await admin.request('DELETE', `/api/v1/namespaces/${ns}`);
  });
});

describe('cross-environment safety', () => {
  const texts = exampleTexts();

  async function writesTo(client: KubeClient, ns: string): Promise<boolean> {
    return client.request('GET', `/api/v1/namespaces/${ns}`).then(
      () => true,
      () => false,
    );
  }

  it('refuses a production apply whose context reaches the staging cluster (pinned identity), writing nothing', async () => {
    const production = await readIdentity(secondAdmin);
    const staging = await readIdentity(admin);
    const ns = namespace('prod-pinned');
    // The mistake: a kubeconfig whose video-production context points at the staging cluster.
    const dir = await mkdtemp(join(tmpdir(), 'sy-kubeconfig-'));
    const wrong = join(dir, 'kubeconfig');
    writeFileSync(wrong, readFileSync(KUBECONFIG, 'utf8').replaceAll(CONTEXT, 'video-production'));
    const fleet = fleetFor(texts, 'production', {
      context: 'video-production',
      namespace: ns,
      identity: production.uid,
    });
    const runtime = await connect(fleet, { kubeconfig: wrong });
    const before = auditSize();
    try {
      const err = await expectError(runtime.apply(), 'SWY_KUBE_WRONG_CLUSTER');
      expect(err.message).toContain(production.uid);
      expect(err.message).toContain(staging.uid);
      await expectError(runtime.apply({ dryRun: true }), 'SWY_KUBE_WRONG_CLUSTER');
    } finally {
      runtime.close();
    }
    await settle();
    expect(auditWrites(before, [ns, 'kube-system'])).toEqual([]);
    expect(await writesTo(admin, ns)).toBe(false);
  });

  it("without a pin, refuses production in a cluster that runs staging, and staging in production's", async () => {
    // The staging cluster already holds staging (the first describe applied it there).
    const prodInStaging = await connect(
      fleetFor(texts, 'production', { context: CONTEXT, namespace: namespace('prod-unpinned') }),
    );
    try {
      const err = await expectError(prodInStaging.apply(), 'SWY_KUBE_WRONG_CLUSTER');
      expect(err.message).toContain('production is protected and has never deployed to cluster sandbox');
    } finally {
      prodInStaging.close();
    }
    // Production deploys to its own cluster (pinned); from then on staging may not land there.
    const production = await readIdentity(secondAdmin);
    const prodNs = namespace('prod');
    const prod = await connect(
      fleetFor(texts, 'production', { context: CONTEXT_SECOND, namespace: prodNs, identity: production.uid }),
      { kubeconfig: KUBECONFIG_SECOND },
    );
    try {
      const result = await prod.apply({ services: ['user-preferences-api'], wait: false });
      expect(result.applied.length).toBeGreaterThan(0);
    } finally {
      prod.close();
    }
    expect(await writesTo(secondAdmin, prodNs)).toBe(true);
    const stagingNs = namespace('staging-in-prod');
    const stagingInProd = await connect(fleetFor(texts, 'staging', { context: CONTEXT_SECOND, namespace: stagingNs }), {
      kubeconfig: KUBECONFIG_SECOND,
    });
    try {
      const err = await expectError(stagingInProd.apply(), 'SWY_KUBE_WRONG_CLUSTER');
      expect(err.message).toContain('runs the protected environment production');
    } finally {
      stagingInProd.close();
    }
    expect(await writesTo(secondAdmin, stagingNs)).toBe(false);
  });
});

describe('switchyard apply (the CLI)', () => {
  it('validates the example fleet with --dry-run --json, writing nothing', async () => {
    const before = auditSize();
    const result = await runCli([
      'apply',
      EXAMPLE,
      '--env',
      'staging',
      '--context',
      CONTEXT,
      '--kubeconfig',
      KUBECONFIG,
      '--dry-run',
      '-o',
      'json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as { dryRun: boolean; applied: string[]; namespace: string };
    expect(out.dryRun).toBe(true);
    expect(out.namespace).toBe('video-staging');
    expect(out.applied).toContain('Deployment/catalog-api-production');
    await settle();
    expect(auditWrites(before, ['video-staging', 'kube-system'])).toEqual([]);
  });

  it("exits with the conflict code when production's context reaches the staging cluster", async () => {
    const result = await runCli([
      'apply',
      EXAMPLE,
      '--env',
      'production',
      '--context',
      CONTEXT,
      '--kubeconfig',
      KUBECONFIG,
    ]);
    expect(result.code).toBe(75);
    expect(result.stderr).toContain('SWY_KUBE_WRONG_CLUSTER');
    expect(result.stderr).toContain('hint: Point context video-production at production');
  });
});

/** The release engine's repository, in memory: enough to drive one release. */
class MemoryRepository implements ReleaseRepository {
  private readonly states = new Map<string, ReleaseState>();
  private readonly queues = new Map<string, SequencedCommand[]>();

  async create(
    before: ReleaseState,
    _event: unknown,
    transition: { state: ReleaseState; commands: readonly SequencedCommand[] },
  ): Promise<void> {
    this.states.set(before.id, transition.state);
    this.queues.set(before.id, [...transition.commands]);
  }

  async record(
    id: string,
    event: { type: string; seq?: number },
    transition: { state: ReleaseState; commands: readonly SequencedCommand[] },
  ): Promise<void> {
    const queue = (this.queues.get(id) ?? []).filter(
      (c) => !((event.type === 'command-done' || event.type === 'command-failed') && c.seq === event.seq),
    );
    this.queues.set(id, [...queue, ...transition.commands]);
    this.states.set(id, transition.state);
  }

  async get(id: string): Promise<ReleaseState | undefined> {
    return this.states.get(id);
  }

  async active(environment: string): Promise<ReleaseState[]> {
    return [...this.states.values()].filter((s) => s.environment === environment && ACTIVE_STATUSES.includes(s.status));
  }

  async pending(id: string): Promise<SequencedCommand[]> {
    return [...(this.queues.get(id) ?? [])];
  }

  async succeeded(service: string, environment: string): Promise<{ version: string; fromVersion: string | null }[]> {
    return [...this.states.values()]
      .filter((s) => s.service === service && s.environment === environment && s.status === 'succeeded')
      .reverse()
      .map((s) => ({ version: s.version, fromVersion: s.from.versions[s.stableTrack] ?? null }));
  }
}

describe('a release on the cluster', () => {
  it('moves the new version through the tracks stage by stage', async () => {
    const ns = namespace('release');
    const texts = exampleTexts();
    const quick = (name: string, track: string, shares: Record<string, number> = {}) => ({
      name,
      track,
      shares,
      duration: '1s',
      gates: [],
    });
    texts['services/catalog-api.yaml'] = setIn(texts['services/catalog-api.yaml'] as string, 'release', {
      interval: '1s',
      plans: {
        quick: [
          quick('internal', 'internal'),
          quick('free', 'free', { free: 5 }),
          quick('paid', 'paid', { paid: 5 }),
          quick('everyone', 'production', { free: 0, paid: 0 }),
        ],
      },
    });
    const fleet = fleetFor(texts, 'staging', { context: CONTEXT, namespace: ns });
    const lines: string[] = [];
    const runtime = await connect(fleet, { lines });
    const order: string[] = [];
    let watching = true;
    try {
      await runtime.apply({ services: ['catalog-api'] });
      await runtime.load();
      expect(runtime.current('catalog-api').versions).toEqual({
        internal: '1.4.2',
        free: '1.4.2',
        paid: '1.4.2',
        production: '1.4.2',
      });
      // Which track's Deployment first carries the new image, in order.
      const watcher = (async () => {
        while (watching) {
          for (const d of await live(admin, ns, 'deployments', 'apps/v1')) {
            const image =
              (d.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]
                ?.image ?? '';
            const track = d.metadata.labels?.['switchyard.dev/track'];
            if (track && image.endsWith(':1.5.0') && !order.includes(track)) order.push(track);
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const repository = new MemoryRepository();
      const orchestrator = new Orchestrator({
        environment: runtime.fleet.environment.name,
        repository,
        target: runtime,
        recorder: { record: async () => undefined, save: async () => undefined },
        notifier: { notify: async () => undefined },
        metrics: new GateMetrics(runtime),
        tickMs: 200,
      });
      orchestrator.start();
      const release = await orchestrator.deploy({
        service: 'catalog-api',
        version: '1.5.0',
        plan: 'quick',
        by: 'itest',
      });
      let state: ReleaseState | undefined = release;
      for (let i = 0; i < 600 && state && ACTIVE_STATUSES.includes(state.status); i++) {
        await new Promise((r) => setTimeout(r, 200));
        state = await repository.get(release.id);
      }
      await orchestrator.stop();
      watching = false;
      await watcher;
      expect(state?.status, state?.outcome).toBe('succeeded');
      expect(order).toEqual(['internal', 'free', 'paid', 'production']);
      expect(runtime.current('catalog-api').versions).toEqual({
        internal: '1.5.0',
        free: '1.5.0',
        paid: '1.5.0',
        production: '1.5.0',
      });
      // The cluster says the same: a fresh runtime reads versions and routing back.
      const reader = await connect(fleet);
      await reader.load();
      expect(reader.current('catalog-api')).toEqual(runtime.current('catalog-api'));
      reader.close();
      expect(lines.some((l) => l.includes('could not be reached through the Runtime API'))).toBe(true);
    } finally {
      watching = false;
      runtime.close();
    }
  });
});

describe('the Kubernetes runtime through the Runtime port', () => {
  it('starts from what the cluster runs, reports every track and worker class, and changes a share through its router', async () => {
    const ns = namespace('port');
    const fleet = fleetFor(exampleTexts(), 'staging', { context: CONTEXT, namespace: ns });
    const applier = await connect(fleet);
    try {
      await applier.apply({ services: ['catalog-api', 'encoding-worker'] });
    } finally {
      applier.close();
    }
    const events: RuntimeEvent[] = [];
    const open = (): Promise<Runtime> =>
      createRuntime(fleet, { dataDir: tmpdir(), kubeconfig: KUBECONFIG, onEvent: (e) => events.push(e) });
    const runtime = await open();
    try {
      await runtime.start();
      const catalog = (await runtime.status()).find((s) => s.service === 'catalog-api');
      expect(catalog?.tracks.map((t) => t.track)).toEqual(['internal', 'free', 'paid', 'production']);
      for (const track of catalog?.tracks ?? []) {
        expect(track.desired, track.track).toBeGreaterThanOrEqual(1);
        expect(track.ready, track.track).toBe(track.desired);
        expect(track.replicas.filter((r) => r.state === 'ready').length, track.track).toBe(track.desired);
      }
      expect(await runtime.trackStatus('catalog-api', 'free')).toEqual(catalog?.tracks[1]);
      const workers = await runtime.workerStatus();
      expect(workers.map((w) => [w.worker, w.workerClass, w.desired, w.ready])).toEqual([
        ['encoding-worker', 'normal', 2, 2],
        ['encoding-worker', 'fallback', 0, 0],
      ]);
      // kwok has no pod network: no router pod answers, and the change is kept in the ConfigMap.
      expect(await runtime.router('catalog-api').figures()).toEqual([]);
      await runtime.setShare('catalog-api', 'free', 7);
      expect(
        events.some((e) => e.type === 'progress' && e.line.includes('could not be reached through the Runtime API')),
      ).toBe(true);
      expect(() => runtime.router('no-such-service')).toThrow(/not part of environment staging/);
    } finally {
      await runtime.stop();
    }
    const reader = await open();
    try {
      await reader.start();
      expect(reader.current('catalog-api').routing.shares.free).toBe(7);
    } finally {
      await reader.stop();
    }
  });
});
