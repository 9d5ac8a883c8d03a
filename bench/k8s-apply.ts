/**
 * Kubernetes apply benchmark: 500 services × (4 tracks + router) applied to a test-bed
 * cluster of its own (test/k8s, cluster "bench") from empty, then again with nothing to
 * change; the baseline is `kubectl apply --server-side` of the same rendered files, in the
 * same run, into a namespace of its own. Figures per pass: wall time (to all Deployments
 * rolled out for the from-empty passes), API requests and write requests (the API server's
 * audit log, user switchyard-admin), peak memory (max RSS of the process).
 * Both sides run as a command would: Switchyard from its build (dist), kubectl from the
 * test bed's bin dir. Prints JSON. Run with `bench/run k8s-apply`.
 *   BENCH_SERVICES (default 500), BENCH_KEEP=1 keeps the cluster up afterwards.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeTree } from '../packages/switchyard/src/cli/write-tree.js';
import { renderFleet, toFiles } from '../packages/switchyard/src/render/index.js';
import { parseConfig, resolveFleet } from '../packages/switchyard/src/spec/index.js';
import { REPO_ROOT } from '../packages/switchyard/test/support/cli.js';
import { round } from './lib.js';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 500);
const CLUSTER = 'bench';
const CONTEXT = `switchyard-${CLUSTER}`;
const RUN_DIR = join(process.env.SWITCHYARD_RUN ?? '/tmp/switchyard', `k8s-${CLUSTER}`);
const KUBECONFIG = join(RUN_DIR, 'kubeconfig');
const AUDIT_LOG = join(RUN_DIR, 'audit.log');
const PODS_PER_NODE = 250; // a node's pod CIDR is a /24
const TIME = '/usr/bin/time';

function log(line: string): void {
  process.stderr.write(`[bench k8s-apply] ${line}\n`);
}

/** The benchmark's configuration: tiny requests, one replica per track and router, no autoscaler or ingress. */
function texts(namespace: string): Record<string, string> {
  const out: Record<string, string> = {
    'environments/bench.yaml': stringify({
      apiVersion: 'switchyard.dev/v1',
      kind: 'Environment',
      name: 'bench',
      runtime: 'kubernetes',
      cluster: { context: CONTEXT, namespace },
    }),
  };
  for (let i = 0; i < SERVICES; i++) {
    const name = `svc-${String(i).padStart(3, '0')}`;
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
    });
  }
  return out;
}

function kubectlBin(): string {
  return join(
    execFileSync(join(REPO_ROOT, 'test/k8s/build'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim(),
    'kubectl',
  );
}

function kubectl(bin: string, args: string[], input?: string): string {
  return execFileSync(bin, ['--kubeconfig', KUBECONFIG, ...args], {
    encoding: 'utf8',
    input,
    stdio: ['pipe', 'pipe', 'inherit'],
    maxBuffer: 256 * 1024 * 1024,
  });
}

/** Nodes enough for every pod of both namespaces, labelled as the renderer selects them. */
function nodesYaml(count: number): string {
  let out = '';
  for (let i = 1; i <= count; i++) {
    out += `---\n${stringify({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: `kwok-bench-${i}`,
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        labels: {
          type: 'kwok',
          'kubernetes.io/hostname': `kwok-bench-${i}`,
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

interface AuditCount {
  readonly requests: number;
  readonly writes: number;
}

/** Requests by the admin user (both sides use it) in the audit log since an offset; dry runs are not writes. */
function auditSince(offset: number): AuditCount {
  const text = readFileSync(AUDIT_LOG).subarray(offset).toString('utf8');
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

interface Pass {
  readonly seconds: number;
  readonly requests: number;
  readonly writes: number;
  readonly maxRssMiB: number | null;
  readonly detail?: Record<string, unknown>;
}

/** Runs a command under GNU time; answers its wall time, stdout and max RSS. */
function timed(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ seconds: number; stdout: string; maxRssMiB: number | null }> {
  const rssFile = join(mkdtempSync(join(tmpdir(), 'sy-bench-time-')), 'rss');
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(TIME, ['-f', '%M', '-o', rssFile, command, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) return reject(new Error(`${command} ${args.slice(0, 3).join(' ')}… exited with ${code}`));
      const kib = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
      resolve({ seconds, stdout, maxRssMiB: Number.isFinite(kib) ? round(kib / 1024, 1) : null });
    });
  });
}

/** `switchyard apply` as a command does it, from the build: load, render, apply, prune, wait. */
async function switchyardPass(textsFile: string): Promise<Pass> {
  const dist = join(REPO_ROOT, 'packages/switchyard/dist');
  const script = `
    const { readFileSync } = await import('node:fs');
    const { parseConfig, resolveFleet } = await import(${JSON.stringify(join(dist, 'spec/index.js'))});
    const { KubernetesRuntime } = await import(${JSON.stringify(join(dist, 'runtime/kubernetes/index.js'))});
    const fleet = resolveFleet(parseConfig('bench', JSON.parse(readFileSync(process.env.BENCH_TEXTS, 'utf8'))), 'bench');
    const runtime = await KubernetesRuntime.connect({ fleet, kubeconfig: process.env.BENCH_KUBECONFIG, wait: { timeoutMs: 1800000 },
      onProgress: (l) => { if (/to apply|rolled out after|^!/.test(l)) process.stderr.write('  ' + l + '\\n'); } });
    const t0 = performance.now();
    const result = await runtime.apply({ wait: false });
    const t1 = performance.now();
    await runtime.waitForRollout();
    const t2 = performance.now();
    runtime.close();
    process.stdout.write(JSON.stringify({ applySeconds: Math.round(t1 - t0) / 1000, waitSeconds: Math.round(t2 - t1) / 1000, applied: result.applied.length, unchanged: result.unchanged, pruned: result.pruned.length, clientRequests: runtime.client.counts }));
  `;
  const offset = statSync(AUDIT_LOG).size;
  const run = await timed(process.execPath, ['--input-type=module', '-e', script], {
    ...process.env,
    BENCH_TEXTS: textsFile,
    BENCH_KUBECONFIG: KUBECONFIG,
  });
  await new Promise((r) => setTimeout(r, 500));
  const audit = auditSince(offset);
  return {
    seconds: round(run.seconds, 2),
    ...audit,
    maxRssMiB: run.maxRssMiB,
    detail: JSON.parse(run.stdout) as Record<string, unknown>,
  };
}

/** kubectl apply --server-side of the rendered files; from empty, then kubectl wait until every Deployment is Available. */
async function kubectlPass(bin: string, dir: string, namespace: string, wait: boolean): Promise<Pass> {
  const offset = statSync(AUDIT_LOG).size;
  const started = performance.now();
  if (wait) kubectl(bin, ['create', 'namespace', namespace]);
  const apply = await timed(bin, [
    '--kubeconfig',
    KUBECONFIG,
    'apply',
    '--server-side',
    '--field-manager',
    'switchyard',
    '-R',
    '-f',
    dir,
  ]);
  let waitRss: number | null = null;
  if (wait)
    waitRss = (
      await timed(bin, [
        '--kubeconfig',
        KUBECONFIG,
        'wait',
        '--for=condition=Available',
        'deployment',
        '--all',
        '-n',
        namespace,
        '--timeout=1800s',
      ])
    ).maxRssMiB;
  const seconds = (performance.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 500));
  return {
    seconds: round(seconds, 2),
    ...auditSince(offset),
    maxRssMiB: Math.max(apply.maxRssMiB ?? 0, waitRss ?? 0) || null,
    detail: { applySeconds: round(apply.seconds, 2) },
  };
}

async function main(): Promise<void> {
  const started = performance.now();
  log(`starting cluster ${CLUSTER} (test/k8s/up --name ${CLUSTER} --port-offset 200 --no-nodes)`);
  execFileSync(join(REPO_ROOT, 'test/k8s/up'), ['--name', CLUSTER, '--port-offset', '200', '--no-nodes'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const bin = kubectlBin();
  try {
    const perNamespace = SERVICES * 5;
    const nodes = Math.ceil((2 * perNamespace * 1.1) / PODS_PER_NODE);
    log(`creating ${nodes} kwok nodes (${PODS_PER_NODE} pods each) for ${2 * perNamespace} pods`);
    kubectl(bin, ['apply', '-f', '-'], nodesYaml(nodes));
    kubectl(bin, ['wait', '--for=condition=Ready', 'node', '--all', '--timeout=120s']);
    for (let i = 0; i < 120; i++) {
      if (!kubectl(bin, ['get', 'nodes', '-o', 'jsonpath={.items[*].spec.taints[*].key}']).includes('not-ready')) break;
      await new Promise((r) => setTimeout(r, 500));
    }

    const work = mkdtempSync(join(tmpdir(), 'sy-bench-k8s-'));
    const syTexts = join(work, 'switchyard-texts.json');
    writeFileSync(syTexts, JSON.stringify(texts('bench-switchyard')));
    const kubectlFleet = resolveFleet(parseConfig('bench', texts('bench-kubectl')), 'bench');
    const rendered = renderFleet(kubectlFleet);
    const objects = rendered.reduce((n, u) => n + u.objects.length, 0);
    const filesDir = join(work, 'rendered');
    await writeTree(filesDir, toFiles(rendered));
    log(`${SERVICES} services → ${objects} objects per namespace (${perNamespace} Deployments, ${perNamespace} pods)`);

    log('switchyard: apply from empty, wait for every rollout');
    const syCold = await switchyardPass(syTexts);
    log(`switchyard: ${syCold.seconds} s; no-op apply`);
    const syNoop = await switchyardPass(syTexts);
    log(
      `switchyard no-op: ${syNoop.seconds} s, ${syNoop.writes} writes; kubectl: apply --server-side from empty, kubectl wait`,
    );
    const kubectlCold = await kubectlPass(bin, filesDir, 'bench-kubectl', true);
    log(`kubectl: ${kubectlCold.seconds} s; no-op apply`);
    const kubectlNoop = await kubectlPass(bin, filesDir, 'bench-kubectl', false);
    log(`kubectl no-op: ${kubectlNoop.seconds} s, ${kubectlNoop.writes} writes`);

    const ratio = (a: number, b: number, digits = 2) => (b > 0 ? round(a / b, digits) : null);
    process.stdout.write(
      `${JSON.stringify(
        {
          benchmark: 'k8s-apply',
          cluster: {
            kubernetes: 'v1.34.4',
            nodes: `kwok ×${nodes}`,
            cores: 2,
            loadAverage: os.loadavg().map((l) => round(l, 1)),
          },
          services: SERVICES,
          objectsPerNamespace: objects,
          deploymentsPerNamespace: perNamespace,
          switchyard: { fromEmpty: syCold, noop: syNoop },
          kubectl: { fromEmpty: kubectlCold, noop: kubectlNoop },
          ratios: {
            noopSpeedup: ratio(kubectlNoop.seconds, syNoop.seconds),
            fromEmptySpeedup: ratio(kubectlCold.seconds, syCold.seconds),
            noopRequests: ratio(syNoop.requests, kubectlNoop.requests, 4),
            fromEmptyRequests: ratio(syCold.requests, kubectlCold.requests, 4),
          },
          targets: {
            noopWritesZero: syNoop.writes === 0,
            noopAtLeast2xFaster: (ratio(kubectlNoop.seconds, syNoop.seconds) ?? 0) >= 2,
          },
          totalSeconds: round((performance.now() - started) / 1000, 1),
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    if (!process.env.BENCH_KEEP)
      execFileSync(join(REPO_ROOT, 'test/k8s/down'), ['--name', CLUSTER, '--clean'], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
  }
}

await main();
