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
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTree } from '../packages/switchyard/src/cli/write-tree.js';
import { renderFleet, toFiles } from '../packages/switchyard/src/render/index.js';
import { parseConfig, resolveFleet } from '../packages/switchyard/src/spec/index.js';
import { REPO_ROOT } from '../packages/switchyard/test/support/cli.js';
import { auditSince, benchLog, fleetTexts, startBenchCluster, type BenchCluster } from './k8s-bench.js';
import { round } from './lib.js';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 500);
const CLUSTER = 'bench';
const log = benchLog('k8s-apply');
const TIME = '/usr/bin/time';

const texts = (cluster: BenchCluster, namespace: string) =>
  fleetTexts({ services: SERVICES, namespace, context: cluster.context });

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
async function switchyardPass(cluster: BenchCluster, textsFile: string): Promise<Pass> {
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
  const offset = statSync(cluster.auditLog).size;
  const run = await timed(process.execPath, ['--input-type=module', '-e', script], {
    ...process.env,
    BENCH_TEXTS: textsFile,
    BENCH_KUBECONFIG: cluster.kubeconfig,
  });
  await new Promise((r) => setTimeout(r, 500));
  const audit = auditSince(cluster.auditLog, offset);
  return {
    seconds: round(run.seconds, 2),
    ...audit,
    maxRssMiB: run.maxRssMiB,
    detail: JSON.parse(run.stdout) as Record<string, unknown>,
  };
}

/** kubectl apply --server-side of the rendered files; from empty, then kubectl wait until every Deployment is Available. */
async function kubectlPass(cluster: BenchCluster, dir: string, namespace: string, wait: boolean): Promise<Pass> {
  const offset = statSync(cluster.auditLog).size;
  const started = performance.now();
  const bin = cluster.kubectlBin;
  if (wait) cluster.kubectl(['create', 'namespace', namespace]);
  const apply = await timed(bin, [
    '--kubeconfig',
    cluster.kubeconfig,
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
        cluster.kubeconfig,
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
    ...auditSince(cluster.auditLog, offset),
    maxRssMiB: Math.max(apply.maxRssMiB ?? 0, waitRss ?? 0) || null,
    detail: { applySeconds: round(apply.seconds, 2) },
  };
}

async function main(): Promise<void> {
  const started = performance.now();
  log(`starting cluster ${CLUSTER} (test/k8s/up --name ${CLUSTER} --port-offset 200 --no-nodes)`);
  const cluster = startBenchCluster(CLUSTER, 200);
  try {
    const perNamespace = SERVICES * 5;
    log(`creating kwok nodes for ${2 * perNamespace} pods`);
    const nodes = await cluster.addNodes(2 * perNamespace);

    const work = mkdtempSync(join(tmpdir(), 'sy-bench-k8s-'));
    const syTexts = join(work, 'switchyard-texts.json');
    writeFileSync(syTexts, JSON.stringify(texts(cluster, 'bench-switchyard')));
    const kubectlFleet = resolveFleet(parseConfig('bench', texts(cluster, 'bench-kubectl')), 'bench');
    const rendered = renderFleet(kubectlFleet);
    const objects = rendered.reduce((n, u) => n + u.objects.length, 0);
    const filesDir = join(work, 'rendered');
    await writeTree(filesDir, toFiles(rendered));
    log(`${SERVICES} services → ${objects} objects per namespace (${perNamespace} Deployments, ${perNamespace} pods)`);

    log('switchyard: apply from empty, wait for every rollout');
    const syCold = await switchyardPass(cluster, syTexts);
    log(`switchyard: ${syCold.seconds} s; no-op apply`);
    const syNoop = await switchyardPass(cluster, syTexts);
    log(
      `switchyard no-op: ${syNoop.seconds} s, ${syNoop.writes} writes; kubectl: apply --server-side from empty, kubectl wait`,
    );
    const kubectlCold = await kubectlPass(cluster, filesDir, 'bench-kubectl', true);
    log(`kubectl: ${kubectlCold.seconds} s; no-op apply`);
    const kubectlNoop = await kubectlPass(cluster, filesDir, 'bench-kubectl', false);
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
    cluster.down();
  }
}

await main();
