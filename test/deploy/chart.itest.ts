/**
 * The Helm chart (deploy/helm/switchyard) with the pinned helm, and its objects on the real
 * control plane of test/k8s: accepted by the API server, and its ServiceAccount holding the
 * rights docs/kubernetes.md lists — enough for `switchyard apply`, nothing beyond.
 * test/run builds helm (deploy/helm/helm) and starts the test bed, and sources its env.sh.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parseDocument } from 'yaml';
import { required } from '../../packages/switchyard/test/support/bed.js';
import { REPO_ROOT, runCli } from '../../packages/switchyard/test/support/cli.js';
import { setIn } from '../../packages/switchyard/test/support/config.js';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  [field: string]: unknown;
}

function run(command: string, args: readonly string[], input?: string): Run {
  const r = spawnSync(command, args, { cwd: REPO_ROOT, encoding: 'utf8', input, maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const HELM = join(REPO_ROOT, 'deploy/helm/helm');
const CHART = join(REPO_ROOT, 'deploy/helm/switchyard');
const EXAMPLE_VALUES = join(REPO_ROOT, 'deploy/manifests/values.yaml');

/** `helm template` of the chart with the example values and `sets` on top. */
function template(sets: Record<string, string> = {}, namespace = 'switchyard'): Run {
  const args = ['template', 'switchyard', CHART, '--namespace', namespace, '--values', EXAMPLE_VALUES];
  for (const [k, v] of Object.entries(sets)) args.push('--set-string', `${k}=${v}`);
  return run(HELM, args);
}

function objects(sets: Record<string, string> = {}, namespace?: string): Manifest[] {
  const r = template(sets, namespace);
  expect(r.code, r.stderr).toBe(0);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as Manifest | null)
    .filter((o): o is Manifest => o !== null);
}

interface Container {
  livenessProbe?: { httpGet: { path: string } };
  readinessProbe?: { httpGet: { path: string } };
  args: string[];
  env: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  volumeMounts: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  volumes: { name: string; persistentVolumeClaim?: { claimName: string } }[];
  affinity?: unknown;
}
function pod(all: Manifest[]): PodSpec {
  const d = all.find((o) => o.kind === 'Deployment') as { spec: { template: { spec: PodSpec } } } | undefined;
  return d!.spec.template.spec;
}

beforeAll(() => {
  // Builds helm when the cache is cold (test/run has done it before the tests).
  const r = run(HELM, ['version', '--short']);
  expect(r.code, r.stderr).toBe(0);
}, 1_800_000);

describe('the chart', () => {
  it('lints clean, with its defaults and with the example values', () => {
    for (const extra of [[], ['--values', EXAMPLE_VALUES]]) {
      const r = run(HELM, ['lint', '--strict', CHART, ...extra]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
    }
  });

  it('renders the committed plain manifests (deploy/helm/render --check)', () => {
    const r = run(join(REPO_ROOT, 'deploy/helm/render'), ['--check']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('runs the chart appVersion, the version of the package it deploys', () => {
    const chart = parseDocument(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')).toJS() as { appVersion: string };
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'packages/switchyard/package.json'), 'utf8')) as {
      version: string;
    };
    expect(chart.appVersion).toBe(pkg.version);
  });

  it('refuses a password in store.url, and missing required values, saying what to set', () => {
    const password = template({ 'store.url': 'postgres://switchyard:hunter2@db:5432/switchyard' });
    expect(password.code).not.toBe(0);
    expect(password.stderr).toContain('store.url holds a password');
    expect(password.stderr).not.toContain('hunter2');
    const both = template({ 'config.directory.existingClaim': 'fleet' });
    expect(both.stderr).toContain('either config.git.url or config.directory.existingClaim');
    const none = run(HELM, ['template', 'switchyard', CHART]);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('config: set config.git.url');
  });

  it('reads the password from store.passwordSecret, never from the values', () => {
    const c = pod(objects()).containers[0]!;
    expect(c.args.slice(c.args.indexOf('--store'), c.args.indexOf('--store') + 2)).toEqual([
      '--store',
      'postgres://switchyard@postgresql.switchyard.svc:5432/switchyard?sslmode=require',
    ]);
    expect(c.env.find((e) => e.name === 'PGPASSWORD')?.valueFrom?.secretKeyRef).toEqual({
      name: 'switchyard-postgresql',
      key: 'password',
    });
  });

  it('takes the whole store URL from store.existingSecret, through the environment only', () => {
    const c = pod(objects({ 'store.url': '', 'store.existingSecret': 'pg-url', 'store.existingSecretKey': 'dsn' }))
      .containers[0]!;
    expect(c.args).not.toContain('--store');
    expect(c.env.find((e) => e.name === 'SWITCHYARD_STORE_URL')?.valueFrom?.secretKeyRef).toEqual({
      name: 'pg-url',
      key: 'dsn',
    });
    expect(c.env.some((e) => e.name === 'PGPASSWORD')).toBe(false);
  });

  it('serves a config repository from a claim instead of a git URL', () => {
    const spec = pod(
      objects({ 'config.git.url': '', 'config.git.existingSecret': '', 'config.directory.existingClaim': 'fleet' }),
    );
    expect(spec.containers[0]!.args.slice(0, 2)).toEqual(['server', '/config']);
    expect(spec.volumes.find((v) => v.name === 'config')?.persistentVolumeClaim).toEqual({ claimName: 'fleet' });
    expect(spec.containers[0]!.env.some((e) => e.name.startsWith('GIT_'))).toBe(false);
  });

  it('follows a branch and a directory of the git repository, and takes the webhook secret from a Secret', () => {
    const plain = pod(objects());
    expect(plain.containers[0]!.args).toContain('--poll');
    expect(plain.containers[0]!.env.some((e) => e.name === 'SWITCHYARD_WEBHOOK_SECRET')).toBe(false);
    const spec = pod(
      objects({
        'config.git.branch': 'release',
        'config.git.path': 'deploy/fleet',
        'config.git.poll': '0',
        'config.webhook.existingSecret': 'git-hook',
      }),
    );
    const args = spec.containers[0]!.args;
    const after = (flag: string) => args[args.indexOf(flag) + 1];
    expect([after('--branch'), after('--path'), after('--poll')]).toEqual(['release', 'deploy/fleet', '0']);
    expect(spec.containers[0]!.env.find((e) => e.name === 'SWITCHYARD_WEBHOOK_SECRET')?.valueFrom).toEqual({
      secretKeyRef: { name: 'git-hook', key: 'secret' },
    });
  });

  it('keeps a replica alive on /healthz and in the Service only while /readyz says it leads or knows the leader', () => {
    const c = pod(objects()).containers[0]!;
    expect([c.livenessProbe?.httpGet.path, c.readinessProbe?.httpGet.path]).toEqual(['/healthz', '/readyz']);
  });

  it('serves every environment, with a Role only where its namespace is in this cluster', () => {
    // --set replaces a list of the values file whole: both entries are given.
    const all = objects({
      'environments[0].name': 'production',
      'environments[0].namespace': 'video',
      'environments[1].name': 'staging',
    });
    const args = pod(all).containers[0]!.args;
    expect(args.filter((_, i) => args[i - 1] === '--env')).toEqual(['production', 'staging']);
    expect(all.filter((o) => o.kind === 'Role').map((o) => o.metadata.namespace)).toEqual(['video', 'kube-system']);
    const cluster = all.find((o) => o.kind === 'ClusterRole') as unknown as { rules: { resourceNames: string[] }[] };
    expect(cluster.rules[0]!.resourceNames).toEqual(['kube-system', 'video']);
  });

  it('pins a node pool class when given one, and then needs no exemption', () => {
    const all = objects({ 'nodePool.class': '1-4' });
    expect(JSON.stringify(pod(all).affinity)).toContain('"values":["1-4"]');
    const d = all.find((o) => o.kind === 'Deployment')!;
    expect(d.metadata.annotations?.['policy.switchyard.dev/node-pool-class']).toBeUndefined();
  });

  it('mounts a kubeconfig Secret for environments in other clusters', () => {
    const c = pod(objects({ 'kubeconfig.existingSecret': 'clusters' })).containers[0]!;
    expect(c.env.find((e) => e.name === 'KUBECONFIG')?.value).toBe('/etc/switchyard/kube/config');
    expect(c.volumeMounts.find((m) => m.name === 'kubeconfig')?.mountPath).toBe('/etc/switchyard/kube');
  });
});

describe('on the test bed', () => {
  const KUBECONFIG = required('SWITCHYARD_TEST_KUBECONFIG');
  const KUBECTL = join(required('SWITCHYARD_K8S_BIN'), 'kubectl');
  const RUN = Date.now().toString(36);
  const home = `it-${RUN}-switchyard`;
  const managed = `it-${RUN}-video`;
  const outside = `it-${RUN}-elsewhere`;
  const sa = `system:serviceaccount:${home}:switchyard`;
  const clusterName = `${home}-switchyard`;
  const kubectl = (args: readonly string[], input?: string) =>
    run(KUBECTL, ['--kubeconfig', KUBECONFIG, ...args], input);
  const rendered = () => {
    const r = template({ 'environments[0].name': 'staging', 'environments[0].namespace': managed }, home);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };

  beforeAll(() => {
    for (const ns of [home, managed, outside]) expect(kubectl(['create', 'namespace', ns]).code).toBe(0);
  });

  afterAll(() => {
    kubectl(['delete', 'namespace', home, managed, outside, '--wait=false']);
    kubectl(['delete', 'clusterrole,clusterrolebinding', clusterName, '--ignore-not-found']);
    kubectl(['-n', 'kube-system', 'delete', 'role,rolebinding', `${clusterName}-claims`, '--ignore-not-found']);
  });

  it('the API server accepts every object (server-side dry run)', () => {
    const r = kubectl(
      ['apply', '--server-side', '--dry-run=server', '--field-manager=chart-test', '-f', '-'],
      rendered(),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(10);
    expect(r.stdout).toContain('deployment.apps/switchyard serverside-applied (server dry run)');
  });

  it('the ServiceAccount holds exactly the rights docs/kubernetes.md lists', () => {
    const r = kubectl(['apply', '--server-side', '--field-manager=chart-test', '-f', '-'], rendered());
    expect(r.code, r.stderr).toBe(0);
    // `resource/name`, or `resource:subresource` (can-i reads a slash as a name).
    const can = (verb: string, resource: string, namespace?: string) => {
      const [what, subresource] = resource.split(':');
      return (
        kubectl([
          'auth',
          'can-i',
          verb,
          what!,
          '--as',
          sa,
          ...(subresource ? ['--subresource', subresource] : []),
          ...(namespace ? ['-n', namespace] : []),
        ]).code === 0
      );
    };
    const renders = [
      'configmaps',
      'services',
      'deployments.apps',
      'poddisruptionbudgets.policy',
      'horizontalpodautoscalers.autoscaling',
      'scaledobjects.keda.sh',
      'ingresses.networking.k8s.io',
    ];
    for (const resource of renders)
      for (const verb of ['get', 'list', 'watch', 'create', 'patch', 'delete'])
        expect(can(verb, resource, managed), `${verb} ${resource}`).toBe(true);
    for (const [verb, resource] of [
      ['get', 'deployments.apps:scale'],
      ['patch', 'deployments.apps:scale'],
      ['get', 'pods'],
      ['list', 'pods'],
      ['watch', 'pods'],
      ['get', 'endpointslices.discovery.k8s.io'],
      ['list', 'endpointslices.discovery.k8s.io'],
      ['get', 'pods:portforward'],
      ['create', 'pods:portforward'],
      ['get', 'pods:proxy'],
    ] as const)
      expect(can(verb, resource, managed), `${verb} ${resource}`).toBe(true);
    expect(can('get', 'namespaces/kube-system')).toBe(true);
    expect(can('get', `namespaces/${managed}`)).toBe(true);
    for (const verb of ['get', 'create', 'patch'])
      expect(can(verb, 'configmaps/switchyard-environments', 'kube-system'), verb).toBe(true);
    // Nothing beyond: no secrets, no pod writes, no other namespace, no other ConfigMap of kube-system.
    for (const [verb, resource, namespace] of [
      ['get', 'secrets', managed],
      ['list', 'secrets', managed],
      ['delete', 'pods', managed],
      ['create', 'pods:eviction', managed],
      ['create', 'pods:exec', managed],
      ['get', 'pods:exec', managed],
      ['create', 'deployments.apps:scale', managed],
      ['create', 'roles.rbac.authorization.k8s.io', managed],
      ['update', 'deployments.apps', managed],
      ['get', 'deployments.apps', outside],
      ['create', 'configmaps', outside],
      ['get', 'configmaps', home],
      ['get', 'configmaps/coredns', 'kube-system'],
      ['create', 'configmaps', 'kube-system'],
      ['get', 'namespaces', undefined],
      ['get', `namespaces/${outside}`, undefined],
      ['create', 'namespaces', undefined],
      ['list', 'nodes', undefined],
    ] as const)
      expect(can(verb, resource, namespace), `${verb} ${resource} in ${namespace ?? 'the cluster'}`).toBe(false);
  });

  it('lets `switchyard apply` deploy the example fleet as the ServiceAccount, and only to its namespace', async () => {
    const token = kubectl(['-n', home, 'create', 'token', 'switchyard', '--duration=10m']);
    expect(token.code, token.stderr).toBe(0);
    const admin = parseDocument(readFileSync(KUBECONFIG, 'utf8')).toJS() as {
      clusters: { name: string; cluster: Record<string, string> }[];
    };
    const dir = mkdtempSync(join(tmpdir(), 'sy-chart-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'sandbox', cluster: admin.clusters[0]!.cluster }],
        users: [{ name: 'switchyard', user: { token: token.stdout.trim() } }],
        contexts: [{ name: 'video-staging', context: { cluster: 'sandbox', user: 'switchyard' } }],
        'current-context': 'video-staging',
      }),
    );
    const config = join(dir, 'config');
    cpSync(join(REPO_ROOT, 'examples/video-platform'), config, { recursive: true });
    const envFile = join(config, 'environments/staging.yaml');
    const staging = readFileSync(envFile, 'utf8');

    writeFileSync(envFile, setIn(staging, 'cluster.namespace', managed));
    const applied = await runCli(['apply', config, '--env', 'staging', '--kubeconfig', kubeconfig, '--timeout', '2m']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const deployments = kubectl(['-n', managed, 'get', 'deployments', '-o', 'name']);
    expect(deployments.stdout).toContain('deployment.apps/catalog-api-production');

    writeFileSync(envFile, setIn(staging, 'cluster.namespace', outside));
    const refused = await runCli(['apply', config, '--env', 'staging', '--kubeconfig', kubeconfig, '--no-wait']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/forbidden|refused/i);
    expect(kubectl(['-n', outside, 'get', 'deployments', '-o', 'name']).stdout.trim()).toBe('');
  });
});
