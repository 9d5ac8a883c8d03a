import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeTree } from '../packages/switchyard/src/cli/write-tree.js';
import { freePort } from '../packages/switchyard/src/runtime/index.js';
import { freshDatabase } from '../packages/switchyard/test/support/bed.js';
import { REPO_ROOT } from '../packages/switchyard/test/support/cli.js';
import { round, testBedPostgres } from './lib.js';

/**
 * The Kubernetes benchmarks' cluster of their own (test/k8s, a real control plane with kwok
 * nodes) and their fleet: tiny requests, one replica per track and router, no autoscaler or
 * ingress, so that what is measured is Switchyard's work and the API server's.
 */

const PODS_PER_NODE = 250; // a node's pod CIDR is a /24

export interface BenchCluster {
  readonly name: string;
  readonly context: string;
  readonly kubeconfig: string;
  readonly auditLog: string;
  readonly kubectlBin: string;
  /** kubectl against this cluster; throws with its stderr shown. */
  kubectl(args: string[], input?: string): string;
  /** Nodes enough for `pods` pods, labelled as the renderer selects them, all Ready. */
  addNodes(pods: number): Promise<number>;
  /** Stops the cluster unless BENCH_KEEP is set. */
  down(): void;
}

export function benchLog(benchmark: string): (line: string) => void {
  return (line) => process.stderr.write(`[bench ${benchmark}] ${line}\n`);
}

/** Starts (or finds running) the test-bed cluster `name` with no nodes of its own. */
export function startBenchCluster(name: string, portOffset: number): BenchCluster {
  execFileSync(join(REPO_ROOT, 'test/k8s/up'), ['--name', name, '--port-offset', String(portOffset), '--no-nodes'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const runDir = join(process.env.SWITCHYARD_RUN ?? '/tmp/switchyard', `k8s-${name}`);
  const kubeconfig = join(runDir, 'kubeconfig');
  const bin = join(
    execFileSync(join(REPO_ROOT, 'test/k8s/build'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim(),
    'kubectl',
  );
  const kubectl = (args: string[], input?: string) =>
    execFileSync(bin, ['--kubeconfig', kubeconfig, ...args], {
      encoding: 'utf8',
      input,
      stdio: ['pipe', 'pipe', 'inherit'],
      maxBuffer: 256 * 1024 * 1024,
    });
  return {
    name,
    context: `switchyard-${name}`,
    kubeconfig,
    auditLog: join(runDir, 'audit.log'),
    kubectlBin: bin,
    kubectl,
    async addNodes(pods) {
      const count = Math.ceil((pods * 1.1) / PODS_PER_NODE);
      kubectl(['apply', '-f', '-'], nodesYaml(name, count));
      kubectl(['wait', '--for=condition=Ready', 'node', '--all', '--timeout=120s']);
      for (let i = 0; i < 120; i++) {
        if (!kubectl(['get', 'nodes', '-o', 'jsonpath={.items[*].spec.taints[*].key}']).includes('not-ready')) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      return count;
    },
    down() {
      if (process.env.BENCH_KEEP) return;
      execFileSync(join(REPO_ROOT, 'test/k8s/down'), ['--name', name, '--clean'], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    },
  };
}

function nodesYaml(cluster: string, count: number): string {
  let out = '';
  for (let i = 1; i <= count; i++) {
    const name = `kwok-${cluster}-${i}`;
    out += `---\n${stringify({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        labels: {
          type: 'kwok',
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'topology.kubernetes.io/zone': `local-${'abc'[i % 3]}`,
          'switchyard.dev/node-pool': 'bench',
          'switchyard.dev/capacity-type': 'on-demand',
          'switchyard.dev/node-class': '1-4',
        },
      },
      spec: {},
      status: {
        capacity: { cpu: '64', memory: '256Gi', pods: String(PODS_PER_NODE) },
        allocatable: { cpu: '64', memory: '256Gi', pods: String(PODS_PER_NODE) },
        nodeInfo: {
          architecture: 'amd64',
          operatingSystem: 'linux',
          kubeletVersion: 'v1.34.4',
          kubeProxyVersion: 'v1.34.4',
          containerRuntimeVersion: 'kwok',
          kernelVersion: 'kwok',
          osImage: 'kwok',
          bootID: '',
          machineID: '',
          systemUUID: '',
        },
      },
    })}`;
  }
  return out;
}

export const serviceName = (i: number): string => `svc-${String(i).padStart(3, '0')}`;

/** The benchmark fleet's files: `services` services in `namespace`, environment `bench`. */
export function fleetTexts(options: {
  readonly services: number;
  readonly namespace: string;
  readonly context: string;
  readonly release?: unknown;
  /** Each track's replicas, and the least a track may run (default 1). */
  readonly replicasPerTrack?: number;
  /** The environment file's `alerts` block, if any. */
  readonly alerts?: unknown;
}): Record<string, string> {
  const out: Record<string, string> = {
    'environments/bench.yaml': stringify({
      apiVersion: 'switchyard.dev/v1',
      kind: 'Environment',
      name: 'bench',
      runtime: 'kubernetes',
      cluster: { context: options.context, namespace: options.namespace },
      ...(options.alerts ? { alerts: options.alerts } : {}),
    }),
  };
  const replicas = options.replicasPerTrack ?? 1;
  for (let i = 0; i < options.services; i++) {
    const name = serviceName(i);
    out[`services/${name}.yaml`] = stringify({
      apiVersion: 'switchyard.dev/v1',
      kind: 'Service',
      name,
      team: 'bench',
      product: 'bench',
      costCenter: 'bench',
      image: `registry.example.com/bench/${name}`,
      version: '1.0.0',
      resources: { cpu: '10m', memory: '16Mi' },
      probes: { readiness: { path: '/ready' }, liveness: { path: '/healthz' } },
      minReplicasPerTrack: replicas,
      tracks: {
        internal: { replicas },
        free: { replicas },
        paid: { replicas },
        production: { replicas },
      },
      traffic: {
        groups: {
          internal: { track: 'internal' },
          free: { canaryTrack: 'free', share: 5 },
          paid: { canaryTrack: 'paid', share: 5 },
        },
      },
      router: { replicas: 1, resources: { cpu: '10m', memory: '16Mi' } },
      nodePool: { class: '1:4' },
      ...(options.release ? { release: options.release } : {}),
    });
  }
  return out;
}

/** Requests by the admin user in the audit log since an offset; dry runs are not writes. */
export function auditSince(auditLog: string, offset: number): { requests: number; writes: number } {
  const text = readFileSync(auditLog).subarray(offset).toString('utf8');
  let requests = 0;
  let writes = 0;
  for (const line of text.split('\n')) {
    if (!line.includes('"username":"switchyard-admin"')) continue;
    const event = JSON.parse(line) as { verb: string; requestURI: string };
    requests++;
    if (
      ['create', 'update', 'patch', 'delete', 'deletecollection'].includes(event.verb) &&
      !/[?&]dryRun=/.test(event.requestURI)
    )
      writes++;
  }
  return { requests, writes };
}

const CLI = join(REPO_ROOT, 'packages/switchyard/dist/cli/main.js');
/** CPU time unit of /proc/<pid>/stat (USER_HZ on Linux). */
export const TICKS_PER_SECOND = 100;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A `switchyard server` the benchmark started, and its admin token. */
export interface Served {
  readonly child: ChildProcess;
  readonly api: string;
  readonly token: string;
  /** Stops it and waits for it to exit. */
  stop(): Promise<void>;
}

/** One API call as the admin; throws with the answer on a non-2xx. */
export async function call<T>(
  served: Pick<Served, 'api' | 'token'>,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const answer = await fetch(`${served.api}${path}`, {
    method,
    headers: { authorization: `Bearer ${served.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await answer.text();
  if (!answer.ok) throw new Error(`${method} ${path}: ${answer.status} ${text}`);
  return JSON.parse(text) as T;
}

/**
 * Applies the fleet `texts` (environment `bench`, no rollout wait), then starts `switchyard
 * server` on it from the build, its store a fresh database on the test bed's PostgreSQL (as the
 * chart runs the server; the embedded store would count its own memory in the server's).
 */
export async function serveFleet(
  cluster: BenchCluster,
  texts: Record<string, string>,
  extraEnv: Record<string, string> = {},
): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), 'sy-bench-server-'));
  await writeTree(dir, new Map(Object.entries(texts)));
  const env = { ...process.env, ...extraEnv, KUBECONFIG: cluster.kubeconfig, XDG_CONFIG_HOME: dir };
  const applied = spawn(process.execPath, [CLI, 'apply', dir, '--env', 'bench', '--timeout', '30m'], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const code = await new Promise<number | null>((resolve) => applied.on('close', resolve));
  if (code !== 0) throw new Error(`switchyard apply exited with ${code}`);
  const dataDir = join(dir, 'data');
  const api = `http://127.0.0.1:${await freePort('127.0.0.1')}`;
  const store = await freshDatabase(testBedPostgres(), 'sy_bench');
  const child = spawn(process.execPath, [CLI, 'server', dir, '--listen', new URL(api).host, '--data-dir', dataDir], {
    env: { ...env, SWITCHYARD_STORE_URL: store },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('close', r));
  };
  const tokenFile = join(dataDir, 'admin.token');
  for (let i = 0; i < 1200; i++) {
    if (child.exitCode !== null) throw new Error(`switchyard server exited with ${child.exitCode}`);
    if (existsSync(tokenFile)) {
      const served = { child, api, token: readFileSync(tokenFile, 'utf8').trim(), stop };
      const ok = await call(served, 'GET', '/v1/status').then(
        () => true,
        () => false,
      );
      if (ok) return served;
    }
    await sleep(250);
  }
  await stop();
  throw new Error('switchyard server did not answer within 5 minutes');
}

/** CPU ticks (user + system) and resident memory of a process, from /proc. */
export function processSample(pid: number): { ticks: number; rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return { ticks, rssMiB: round(rssKiB / 1024, 1) };
}
