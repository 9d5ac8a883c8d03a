import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../packages/switchyard/test/support/cli.js';

/** Shared pieces of the benchmarks: load generation with wrk, percentiles, nginx. */

export const WRK = process.env.SWITCHYARD_WRK_BIN ?? 'wrk';
export const NGINX = process.env.SWITCHYARD_NGINX_BIN ?? '/usr/sbin/nginx';

export interface WrkResult {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly failed: number;
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n;
}

export function wrkScript(group: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sy-bench-')), 'request.lua');
  writeFileSync(
    file,
    `request = function()\n  return wrk.format("GET", "/", { ["X-Traffic-Group"] = "${group}", ["X-User-Id"] = tostring(math.random(1, 100000000)) })\nend\n`,
  );
  return file;
}

/** Runs wrk and parses its report; failed = non-2xx/3xx responses plus socket errors. */
export function runWrk(
  url: string,
  options: { seconds: number; connections: number; threads?: number; script?: string },
): Promise<WrkResult> {
  const args = [
    `-t${options.threads ?? 1}`,
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    '--latency',
    ...(options.script ? ['-s', options.script] : []),
    url,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(WRK, args);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', () => {
      const latency = (p: string) => {
        const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)`, 'm').exec(out);
        return m ? toMs(m[1] as string, m[2] as string) : NaN;
      };
      const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      resolve({
        rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
        p50Ms: latency('50'),
        p99Ms: latency('99'),
        requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
        failed:
          Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) +
          (socket ? socket.slice(1).reduce((n, v) => n + Number(v), 0) : 0),
      });
    });
  });
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** An nginx in the foreground with the given http{} body; stopped by the returned function. */
export async function startNginx(httpBody: string): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'sy-nginx-'));
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes auto;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log warn;\nevents { worker_connections 4096; }\nhttp {\n  access_log off;\n  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;\n  keepalive_requests 100000;\n${httpBody}\n}\n`,
  );
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', conf, '-g', 'daemon off;'], { stdio: 'inherit' });
  await new Promise((r) => setTimeout(r, 500));
  if (child.exitCode !== null) throw new Error(`nginx did not start; see ${dir}/error.log`);
  return async () => {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGQUIT');
    await exited;
  };
}

/** The variables an env file of the test bed exports (test/infra, test/k8s write them). */
export function envFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) out[m[1] as string] = (m[2] as string).replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

/** Starts the test bed's PostgreSQL (test/infra/up postgres, idempotent) and answers its URL. */
export function testBedPostgres(): string {
  execFileSync(join(REPO_ROOT, 'test/infra/up'), ['postgres'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const file = join(process.env.SWITCHYARD_RUN ?? '/tmp/switchyard', 'postgres.env');
  const url = envFile(file)['SWITCHYARD_TEST_PG_URL'];
  if (!url) throw new Error(`SWITCHYARD_TEST_PG_URL is not in ${file}`);
  return url;
}
