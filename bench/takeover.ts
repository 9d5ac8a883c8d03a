/**
 * Takeover benchmark: replicas of `switchyard server` serving a Kubernetes environment of the
 * test bed (cluster sandbox) on one PostgreSQL store. The leader is killed with SIGKILL; the
 * figure is the time until a standby serves writes (a POST answered 201 through it). The
 * baseline, measured in the same run, is a lone server killed the same way and started again
 * at once (what a one-replica Deployment gets at best, without the pod's rescheduling). Both
 * run from the build (dist), as a command would. Prints JSON. Run with `bench/run takeover`.
 *   BENCH_RUNS (default 5) kills per setting, BENCH_RETRIES (default 250,1000) standby retry intervals in ms.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../packages/switchyard/src/runtime/index.js';
import { freshDatabase } from '../packages/switchyard/test/support/bed.js';
import { REPO_ROOT, runCli, writeConfig } from '../packages/switchyard/test/support/cli.js';
import { startForeground, type UpProcess } from '../packages/switchyard/test/support/up.js';
import { envFile, percentile, round, testBedPostgres } from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const RETRIES = (process.env.BENCH_RETRIES ?? '250,1000').split(',').map(Number);
const RUN_DIR = process.env.SWITCHYARD_RUN ?? '/tmp/switchyard';

function log(line: string): void {
  process.stderr.write(`[bench takeover] ${line}\n`);
}

interface Server {
  readonly api: string;
  readonly dataDir: string;
  readonly process: UpProcess;
}

async function main(): Promise<void> {
  log('starting PostgreSQL and the sandbox cluster (test/infra/up postgres, test/k8s/up)');
  const pgUrl = testBedPostgres();
  execFileSync(join(REPO_ROOT, 'test/k8s/up'), [], { stdio: ['ignore', 'ignore', 'inherit'] });
  const k8s = envFile(join(RUN_DIR, 'k8s/env.sh'));
  const kubeconfig = k8s['SWITCHYARD_TEST_KUBECONFIG'] ?? join(RUN_DIR, 'k8s/kubeconfig');
  const kubectl = join(k8s['SWITCHYARD_K8S_BIN'] ?? join(RUN_DIR, 'k8s/bin'), 'kubectl');
  const namespace = `bench-takeover-${Date.now().toString(36)}`;
  const dir = await writeConfig({
    'environments/bench.yaml': stringify({
      kind: 'Environment',
      name: 'bench',
      runtime: 'kubernetes',
      cluster: { context: 'switchyard-sandbox', namespace },
    }),
    'services/web.yaml': stringify({
      kind: 'Service',
      name: 'web',
      team: 'web',
      product: 'vod',
      costCenter: 'cc-1',
      image: 'registry.example.com/web',
      version: '1.0.0',
      port: 8080,
      resources: { cpu: '10m', memory: '16Mi' },
      probes: { readiness: { path: '/ready' }, liveness: { path: '/healthz' } },
    }),
  });
  const env = { KUBECONFIG: kubeconfig };
  execFileSync(kubectl, ['--kubeconfig', kubeconfig, 'create', 'namespace', namespace], { stdio: 'ignore' });
  const servers: Server[] = [];
  try {
    const applied = await runCli(['apply', dir, '--env', 'bench', '--timeout', '3m'], { env });
    if (applied.code !== 0) throw new Error(`apply failed: ${applied.stderr}`);
    const storeUrl = await freshDatabase(pgUrl, 'sy_bench');
    let token = '';

    const start = async (flags: string[] = [], dataDir = mkdtempSync(join(tmpdir(), 'sy-bench-takeover-'))) => {
      const api = `http://127.0.0.1:${await freePort('127.0.0.1')}`;
      const child = startForeground(['server', dir, '--listen', new URL(api).host, '--data-dir', dataDir, ...flags], {
        ...env,
        XDG_CONFIG_HOME: dataDir,
        SWITCHYARD_STORE_URL: storeUrl,
      });
      const server = { api, dataDir, process: child };
      servers.push(server);
      await child.ready();
      if (!token) token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
      return server;
    };

    /** Until `api` answers a write (a token created, answered 201). */
    const untilWrite = async (api: string): Promise<void> => {
      for (;;) {
        const answer = await fetch(`${api}/v1/tokens`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: `bench-${randomUUID().slice(0, 12)}`, roles: { bench: 'viewer' } }),
        }).catch(() => undefined);
        if (answer?.status === 201) return;
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const kill = async (server: Server): Promise<void> => {
      server.process.child.kill('SIGKILL');
      await server.process.exit;
    };

    // Baseline: one server, killed and started again at once on the same data directory.
    const restart: number[] = [];
    let lone = await start();
    for (let i = 0; i < RUNS; i++) {
      await kill(lone);
      const killed = performance.now();
      lone = await start([], lone.dataDir);
      await untilWrite(lone.api);
      restart.push(performance.now() - killed);
    }
    await kill(lone);

    // Replicas: a leader and a standby; each kill leaves the standby leading, and a new standby joins.
    const takeover: Record<string, { p50Ms: number; maxMs: number; vsRestart: number }> = {};
    for (const retryMs of RETRIES) {
      const flags = ['--leader-retry', `${retryMs}ms`];
      let leader = await start(flags);
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const standby = await start(flags);
        await kill(leader);
        const killed = performance.now();
        await untilWrite(standby.api);
        times.push(performance.now() - killed);
        leader = standby;
      }
      await kill(leader);
      const p50 = percentile(times, 50);
      takeover[`retry${retryMs}ms`] = {
        p50Ms: round(p50, 1),
        maxMs: round(Math.max(...times), 1),
        vsRestart: round(p50 / percentile(restart, 50), 3),
      };
      log(`retry ${retryMs} ms: takeover p50 ${round(p50, 1)} ms over ${RUNS} kills`);
    }
    process.stdout.write(
      `${JSON.stringify(
        {
          runs: RUNS,
          baseline: { restartP50Ms: round(percentile(restart, 50), 1), restartMaxMs: round(Math.max(...restart), 1) },
          takeover,
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    for (const s of servers) s.process.child.kill('SIGKILL');
    spawnSync(kubectl, ['--kubeconfig', kubeconfig, 'delete', 'namespace', namespace, '--wait=false'], {
      stdio: 'ignore',
    });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
