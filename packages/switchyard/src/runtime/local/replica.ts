import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { request } from 'node:http';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { SwitchyardError } from '../../errors/index.js';
import type { Probe } from '../../spec/index.js';

export interface ReplicaSpec {
  readonly service: string;
  readonly track: string;
  readonly version: string;
  /** Stable name for logs, e.g. `catalog-api-free-2`. */
  readonly name: string;
  readonly command: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly readiness?: Probe;
  readonly logDir: string;
  readonly graceMs: number;
  readonly host: string;
  /** More variables that receive the replica's port (a worker's SWITCHYARD_METRICS_PORT). */
  readonly portEnv?: readonly string[];
}

export type ReplicaState = 'starting' | 'ready' | 'stopping' | 'exited';

/** Asks the kernel for a free port on `host`. */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function httpReady(host: string, port: number, path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) >= 200 && (res.statusCode ?? 500) < 400);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function tcpReady(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * One replica: a local process running the spec's command on its own port. It counts as
 * ready when its readiness probe answers, and stops with SIGTERM, then SIGKILL after the
 * grace period.
 */
export class Replica {
  readonly spec: ReplicaSpec;
  port = 0;
  state: ReplicaState = 'starting';
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private exitListeners: ((code: number | null, signal: NodeJS.Signals | null) => void)[] = [];
  readonly exited: Promise<void>;
  private markExited!: () => void;

  constructor(spec: ReplicaSpec) {
    this.spec = spec;
    this.exited = new Promise((resolve) => (this.markExited = resolve));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get logPath(): string {
    return join(this.spec.logDir, `${this.spec.name}.log`);
  }

  onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void {
    this.exitListeners.push(listener);
  }

  /** Starts the process and resolves once it is ready; rejects (and kills it) if it never is. */
  async start(): Promise<void> {
    this.port = await freePort(this.spec.host);
    this.log = createWriteStream(this.logPath, { flags: 'a' });
    const [program, ...args] = this.spec.command;
    const executable = program === 'node' ? process.execPath : (program as string);
    const child = spawn(executable, args, {
      cwd: this.spec.cwd,
      env: { ...process.env, ...this.spec.env, PORT: String(this.port), HOST: this.spec.host, SWITCHYARD_REPLICA: this.spec.name, ...Object.fromEntries((this.spec.portEnv ?? []).map((name) => [name, String(this.port)])) },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a Ctrl-C in the terminal reaches Switchyard, which drains before stopping it.
      detached: true,
    });
    this.child = child;
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    let spawnError: Error | undefined;
    child.once('error', (err) => (spawnError = err));
    child.once('exit', (code, signal) => {
      this.state = 'exited';
      this.log?.end();
      this.markExited();
      for (const listener of this.exitListeners) listener(code, signal);
    });
    const probe = this.spec.readiness;
    const budgetMs = 30_000 + (probe ? (probe.initialDelaySeconds + probe.failureThreshold * probe.periodSeconds) * 1000 : 0);
    const deadline = Date.now() + budgetMs;
    while (Date.now() < deadline) {
      if (spawnError || this.state === 'exited') break;
      if (await this.probeOnce()) {
        if (this.state === 'starting') this.state = 'ready';
        return;
      }
      await sleep(50);
    }
    const why = spawnError ? `could not start ${executable}: ${spawnError.message}` : this.state === 'exited' ? `exited (code ${String(child.exitCode)})` : `was not ready within ${Math.round(budgetMs / 1000)} s`;
    await this.stop(1000);
    throw new SwitchyardError('SWY_RUNTIME_START_FAILED', {
      message: `Replica ${this.spec.name} (${this.spec.command.join(' ')}, version ${this.spec.version}) ${why}; see ${this.logPath}`,
      details: { replica: this.spec.name, log: this.logPath },
    });
  }

  async probeOnce(): Promise<boolean> {
    const probe = this.spec.readiness;
    const timeoutMs = (probe?.timeoutSeconds ?? 1) * 1000;
    if (probe?.kind === 'http') return httpReady(this.spec.host, this.port, probe.path ?? '/', timeoutMs);
    return tcpReady(this.spec.host, this.port, timeoutMs);
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves when the process is gone. */
  async stop(graceMs = this.spec.graceMs): Promise<void> {
    const child = this.child;
    if (!child || this.state === 'exited') return;
    this.state = 'stopping';
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Hard kill without grace (used when Switchyard itself must leave at once). */
  kill(): void {
    this.child?.kill('SIGKILL');
  }
}
