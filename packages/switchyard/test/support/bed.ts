import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../src/runtime/index.js';
import { REPO_ROOT } from './cli.js';
import { setIn } from './config.js';

/**
 * What the integration tests take from the test bed (test/k8s, test/infra) and the pieces
 * several of them start: a Prometheus of their own, a clone that pushes people's commits.
 */

export const K8S_HINT = 'start the test bed with test/k8s/up (test/run does) and source /tmp/switchyard/k8s/env.sh';
export const INFRA_HINT = 'start it with test/infra/up (test/run does) and source /tmp/switchyard/infra.env';

/** A variable the test bed's env.sh or infra.env sets; a clear error saying how when it is missing. */
export function required(name: string, hint = K8S_HINT): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: ${hint}`);
  return value;
}

export interface TestPrometheus {
  readonly url: string;
  readonly process: ChildProcess;
}

/**
 * A Prometheus on `port` (default: a free one), scraping `targets` (none by default) every
 * `scrape`; answers once it is ready.
 */
export async function startPrometheus(
  options: { port?: number; targets?: readonly string[]; scrape?: string } = {},
): Promise<TestPrometheus> {
  const port = options.port ?? (await freePort('127.0.0.1'));
  const dir = mkdtempSync(join(tmpdir(), 'sy-prom-'));
  const scrape = options.scrape ?? '5s';
  const jobs = options.targets?.length
    ? `\n  - job_name: switchyard\n    static_configs:\n      - targets: [${options.targets.map((t) => `'${t}'`).join(', ')}]\n`
    : ' []\n';
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: ${scrape}\n  evaluation_interval: ${scrape}\nscrape_configs:${jobs}`,
  );
  const child = spawn(
    process.env.SWITCHYARD_PROMETHEUS_BIN ?? '/usr/bin/prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { url, process: child };
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill();
  throw new Error(`Prometheus on ${url} was not ready within 60 s: ${INFRA_HINT} (test/infra/install prometheus)`);
}

/** git as a person (Ada) in a working copy; its output trimmed. */
export function gitAsPerson(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Ada', '-c', 'user.email=ada@example.com', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();
}

/** Writes (or removes, for null) files in a clone, commits them as a person and pushes to main; answers the commit. */
export async function pushFiles(work: string, files: Record<string, string | null>, message: string): Promise<string> {
  for (const [path, text] of Object.entries(files)) {
    if (text === null) gitAsPerson(work, 'rm', '--quiet', path);
    else {
      await mkdir(dirname(join(work, path)), { recursive: true });
      await writeFile(join(work, path), text);
      gitAsPerson(work, 'add', path);
    }
  }
  gitAsPerson(work, 'commit', '--quiet', '-m', message);
  gitAsPerson(work, 'push', '--quiet', 'origin', 'HEAD:main');
  return gitAsPerson(work, 'rev-parse', 'HEAD');
}

/** A gate on a PromQL query that passes at most 0.5: `vector(0)` always passes, `vector(1)` always fails. */
export const probeGate = (query: string) => [{ metric: 'prometheus', name: 'probe', query, max: 0.5 }];

/**
 * The example's catalog-api with a quick four-stage release judged by `prometheus` (its gate
 * always passes; the internal stage waits for an approval), and a `judged` plan whose gate
 * always fails when `withFailingPlan`.
 */
export function judgedCatalog(prometheus: string, withFailingPlan = false): string {
  return setIn(readFileSync(join(REPO_ROOT, 'examples/video-platform/services/catalog-api.yaml'), 'utf8'), 'release', {
    minRequests: 0,
    interval: '1s',
    inconclusiveAfter: '60s',
    prometheus: { url: prometheus },
    gates: probeGate('vector(0)'),
    stages: [
      { name: 'internal', track: 'internal', duration: '1s', approval: true },
      { name: 'free', track: 'free', shares: { free: 10 }, duration: '1s' },
      { name: 'paid', track: 'paid', shares: { paid: 10 }, duration: '1s' },
      { name: 'production', track: 'production', duration: '1s' },
    ],
    ...(withFailingPlan
      ? { plans: { judged: [{ name: 'internal', track: 'internal', duration: '1s', gates: probeGate('vector(1)') }] } }
      : {}),
  });
}

/** A new, empty database on the test bed's PostgreSQL (`base`: default $SWITCHYARD_TEST_PG_URL); answers its URL. */
export async function freshDatabase(
  base = required('SWITCHYARD_TEST_PG_URL', INFRA_HINT),
  prefix = 'sy',
): Promise<string> {
  const database = `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}
