import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { REPO_ROOT } from '../packages/switchyard/test/support/cli.js';

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
}): Record<string, string> {
  const out: Record<string, string> = {
    'environments/bench.yaml': stringify({
      apiVersion: 'switchyard.dev/v1',
      kind: 'Environment',
      name: 'bench',
      runtime: 'kubernetes',
      cluster: { context: options.context, namespace: options.namespace },
    }),
  };
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
      minReplicasPerTrack: 1,
      tracks: { internal: { replicas: 1 }, free: { replicas: 1 }, paid: { replicas: 1 }, production: { replicas: 1 } },
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
