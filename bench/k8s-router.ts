/**
 * Router pod benchmark on the test bed's real node (test/k8s/up --real-node): requests per
 * second through a service's router pod as Switchyard renders it (its haproxy.cfg with the
 * traffic group, the user's bucket, the shares and the fallbacks; its resources) against the
 * same HAProxy image with no rules (one frontend, one backend) and the same resources, in the
 * same run, and the same again with the request log the rendered router writes (so the rules'
 * cost and the log's are told apart). All send to the same backend (HAProxy answering 200
 * itself) through the track's ClusterIP Service, and wrk on this machine sends to each pod's
 * address, rounds alternating.
 * Prints JSON. Run with `bench/run k8s-router`; the namespace is deleted at the end.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import {
  isDeployment,
  renderFleet,
  ROUTER_PORT,
  routerName,
  trackObjectName,
  type KubeObject,
} from '../packages/switchyard/src/render/index.js';
import { parseConfig, resolveFleet, type Fleet, type Service } from '../packages/switchyard/src/spec/index.js';
import { benchLog } from './k8s-bench.js';
import { envFile, percentile, round, runWrk, wrkScript, type WrkResult } from './lib.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const RUN_DIR = process.env.SWITCHYARD_RUN ?? '/tmp/switchyard';
const HINT = 'start the test bed with a real node: test/k8s/up --real-node';

const log = benchLog('k8s-router');

/** A setting of the test bed: the environment, else the file the test bed wrote. */
function setting(name: string, file: string): string {
  const value = process.env[name] ?? (existsSync(file) ? envFile(file)[name] : undefined);
  if (!value) throw new Error(`${name} is not set and not in ${file}: ${HINT}`);
  return value;
}

const KUBECONFIG = setting('SWITCHYARD_TEST_KUBECONFIG', join(RUN_DIR, 'k8s/env.sh'));
const KUBECTL = join(setting('SWITCHYARD_K8S_BIN', join(RUN_DIR, 'k8s/env.sh')), 'kubectl');
const ROUTER_IMAGE = setting('SWITCHYARD_TEST_ROUTER_IMAGE', join(RUN_DIR, 'k8s/node/env.sh'));
const POOL = 'real';

function kubectl(args: string[], input?: string): string {
  return execFileSync(KUBECTL, ['--kubeconfig', KUBECONFIG, ...args], {
    encoding: 'utf8',
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** One service as users write it, its router on the real node with one replica and the router image. */
function fleet(namespace: string): Fleet {
  const spec = {
    kind: 'Service',
    name: 'bench',
    team: 'bench',
    product: 'bench',
    costCenter: 'bench',
    image: 'bench/app',
    version: '1.0.0',
    resources: { cpu: '100m', memory: '64Mi' },
    probes: { readiness: { path: '/ready' }, liveness: { path: '/healthz' } },
    nodePool: { name: POOL },
    router: { replicas: 1, image: ROUTER_IMAGE, nodePool: { name: POOL } },
  };
  const env = {
    kind: 'Environment',
    name: 'bench',
    runtime: 'kubernetes',
    cluster: { context: 'switchyard-sandbox', namespace },
  };
  return resolveFleet(
    parseConfig('bench', { 'services/bench.yaml': stringify(spec), 'environments/bench.yaml': stringify(env) }),
    'bench',
  );
}

/** A pod on the real node running the router image with `config` as its haproxy.cfg. */
function haproxyPod(
  namespace: string,
  name: string,
  config: string,
  labels: Record<string, string>,
  resources: unknown,
): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { 'haproxy.cfg': config } },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace, labels },
      spec: {
        nodeSelector: { 'switchyard.dev/node-pool': POOL },
        tolerations: [{ key: 'switchyard.dev/node-pool', operator: 'Equal', value: POOL, effect: 'NoSchedule' }],
        containers: [
          {
            name: 'haproxy',
            image: ROUTER_IMAGE,
            imagePullPolicy: 'IfNotPresent',
            args: ['haproxy', '-W', '-db', '-f', '/usr/local/etc/haproxy/haproxy.cfg'],
            ports: [{ containerPort: ROUTER_PORT }],
            resources,
            readinessProbe: { tcpSocket: { port: ROUTER_PORT }, periodSeconds: 1 },
            volumeMounts: [{ name: 'config', mountPath: '/usr/local/etc/haproxy' }],
          },
        ],
        volumes: [{ name: 'config', configMap: { name } }],
      },
    },
  ];
}

const DEFAULTS = [
  'defaults',
  '    mode http',
  '    timeout connect 2s',
  '    timeout client 60s',
  '    timeout server 60s',
  '    timeout http-keep-alive 10s',
];

async function main(): Promise<void> {
  const namespace = `bench-router-${Date.now().toString(36)}`;
  const services = fleet(namespace);
  const svc = services.units[0] as Service;
  const objects = renderFleet(services).flatMap((u) => u.objects);
  const router = objects.filter((o) => o.metadata.name === routerName(svc.name) || o.metadata.name === svc.name);
  const deployment = router.filter(isDeployment)[0];
  const container = deployment?.spec.template.spec.containers[0];
  if (!deployment || !container) throw new Error('the rendered router has no Deployment');
  const resources = container.resources;
  // Every track's Service reaches the backend, as a track's Service reaches its pods.
  const backendLabels = { 'app.kubernetes.io/name': 'bench-backend' };
  const trackServices: KubeObject[] = svc.tracks.map((t) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: trackObjectName(svc.name, t.name), namespace },
    spec: { selector: backendLabels, ports: [{ port: svc.port, targetPort: ROUTER_PORT }] },
  }));
  const backend = haproxyPod(
    namespace,
    'bench-backend',
    [
      'global',
      '    nbthread 1',
      ...DEFAULTS,
      'frontend answer',
      `    bind :${ROUTER_PORT}`,
      '    http-request return status 200 content-type application/json string "{}"',
      '',
    ].join('\n'),
    backendLabels,
    { requests: { cpu: '500m', memory: '64Mi' } },
  );
  const stable = trackObjectName(svc.name, svc.stableTrack);
  /** The same image with no rules; `logged`: with the request log the rendered router writes to stdout. */
  const plain = (name: string, logged: boolean) =>
    haproxyPod(
      namespace,
      name,
      [
        ...(logged ? ['global', '    log stdout format raw local0 info'] : []),
        ...DEFAULTS,
        ...(logged ? ['    log global', '    option httplog'] : []),
        'frontend plain',
        `    bind :${ROUTER_PORT}`,
        '    default_backend stable',
        'backend stable',
        `    server s1 ${stable}.${namespace}.svc.cluster.local:${svc.port}`,
        '',
      ].join('\n'),
      { 'app.kubernetes.io/name': name },
      resources,
    );
  const documents = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    ...trackServices,
    ...backend,
    ...plain('bench-plain', false),
    ...plain('bench-plain-logged', true),
    ...router,
  ];
  try {
    log(`applying the router, a plain HAProxy and a backend into ${namespace} on node pool ${POOL}`);
    kubectl(['apply', '-f', '-'], documents.map((d) => stringify(d)).join('---\n'));
    kubectl(['-n', namespace, 'wait', '--for=condition=Ready', 'pod', '--all', '--timeout=180s']);
    const ip = (selector: string) =>
      kubectl(['-n', namespace, 'get', 'pods', '-l', selector, '-o', 'jsonpath={.items[0].status.podIP}']).trim();
    const targets = {
      switchyard: `http://${ip(`app.kubernetes.io/component=router`)}:${ROUTER_PORT}/`,
      plain: `http://${ip('app.kubernetes.io/name=bench-plain')}:${ROUTER_PORT}/`,
      plainLogged: `http://${ip('app.kubernetes.io/name=bench-plain-logged')}:${ROUTER_PORT}/`,
    };
    const script = wrkScript('free');
    // Warm both (DNS, connections), then alternate so drift hits both alike.
    for (const url of Object.values(targets)) await runWrk(url, { seconds: 1, connections: 4, script });
    const rounds: Record<string, WrkResult>[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const round: Record<string, WrkResult> = {};
      for (const [name, url] of Object.entries(targets)) {
        round[name] = await runWrk(url, { seconds: SECONDS, connections: CONNECTIONS, script });
        log(`round ${r + 1}: ${name} ${Math.round(round[name].rps)} requests/s`);
      }
      rounds.push(round);
    }
    const median = (values: number[]) => round(percentile(values, 50));
    const figure = (name: string) => ({
      rps: median(rounds.map((r) => (r[name] as WrkResult).rps)),
      p50Ms: median(rounds.map((r) => (r[name] as WrkResult).p50Ms)),
      p99Ms: median(rounds.map((r) => (r[name] as WrkResult).p99Ms)),
      failed: rounds.reduce((n, r) => n + (r[name] as WrkResult).failed, 0),
    });
    const ratio = (a: string, b: string, key: 'rps' | 'p99Ms') =>
      median(rounds.map((r) => (r[a] as WrkResult)[key] / (r[b] as WrkResult)[key]));
    console.log(
      JSON.stringify(
        {
          benchmark: 'k8s-router',
          node: 'real-1 (kubelet + containerd on this machine)',
          image: ROUTER_IMAGE,
          resources,
          seconds: SECONDS,
          rounds: ROUNDS,
          connections: CONNECTIONS,
          baseline: { name: 'plain: the same image, no rules', ...figure('plain') },
          plainLogged: { name: 'the same, with the request log on stdout', ...figure('plainLogged') },
          switchyard: { name: "the service's rendered router (request log on stdout)", ...figure('switchyard') },
          ratios: {
            rps: ratio('switchyard', 'plain', 'rps'),
            p99: ratio('switchyard', 'plain', 'p99Ms'),
            rpsOverLogged: ratio('switchyard', 'plainLogged', 'rps'),
            loggedRps: ratio('plainLogged', 'plain', 'rps'),
          },
        },
        null,
        2,
      ),
    );
  } finally {
    if (!process.env.BENCH_KEEP) kubectl(['delete', 'namespace', namespace, '--wait=false']);
  }
}

await main();
