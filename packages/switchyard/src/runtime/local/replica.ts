import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import { join } from 'node:path';
import { SwitchyardError } from '../../errors/index.js';
import type { ProcessLedger } from './process-ledger.js';
import type { Probe } from '../../spec/index.js';
import { alive, signal, terminate } from './proc.js';
import { errorLines, openLog, readFrom } from './log-file.js';
import { freePort } from './net.js';
import { runProbe, type ProbeTarget } from './probe.js';

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
  readonly kind: 'replica' | 'worker';
  /** Where the process is written down before it starts (see process-record.ts). */
  readonly record?: ProcessLedger;
  /**
   * How long start() waits for readiness before it gives up and stops the process; a worker
   * waits as long as it runs (it is not ready while its broker is unreachable, and keeps trying).
   */
  readonly readyWithinMs?: number;
}

export type ReplicaState = 'starting' | 'ready' | 'stopping' | 'exited';

/** A process's own last error lines, after what Switchyard saw of it. */
const said = (lines: readonly string[]) => (lines.length > 0 ? `: ${lines.map((l) => l.trim()).join(' | ')}` : '');

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** How often an adopted replica (not our child: no exit event) is looked for in /proc. */
const ADOPTED_POLL_MS = 250;

/**
 * One replica: a local process running the spec's command on its own port. It counts as
 * ready when its readiness probe answers, and stops with SIGTERM, then SIGKILL after the
 * grace period. Its output goes straight to its log file, so it keeps running (and logging)
 * when the control plane that started it is gone; a restarted control plane adopts it.
 */
export class Replica {
  readonly spec: ReplicaSpec;
  port = 0;
  state: ReplicaState = 'starting';
  /** When the process started (ms since the epoch); 0 for an adopted one (long ago). */
  startedAt = Date.now();
  private child: ChildProcess | undefined;
  private adoptedPid: number | undefined;
  /** Where this attempt's output starts in the log file. */
  private logOffset = 0;
  private exitListeners: ((code: number | null, signal: NodeJS.Signals | null) => void)[] = [];
  readonly exited: Promise<void>;
  private markExited!: () => void;

  constructor(spec: ReplicaSpec) {
    this.spec = spec;
    this.exited = new Promise((resolve) => (this.markExited = resolve));
  }

  /** A replica the previous control plane started, verified by the caller: watched through its pid. */
  static adopt(spec: ReplicaSpec, pid: number, port: number): Replica {
    const replica = new Replica(spec);
    replica.port = port;
    replica.adoptedPid = pid;
    replica.state = 'ready';
    // Started long before: no initial delay is left, and a crash now earns a fresh backoff.
    replica.startedAt = 0;
    const timer = setInterval(() => {
      if (alive(pid)) return;
      clearInterval(timer);
      replica.exit(null, null);
    }, ADOPTED_POLL_MS);
    timer.unref();
    return replica;
  }

  get pid(): number | undefined {
    return this.child?.pid ?? this.adoptedPid;
  }

  get adopted(): boolean {
    return this.adoptedPid !== undefined;
  }

  get logPath(): string {
    return join(this.spec.logDir, `${this.spec.name}.log`);
  }

  /** Where its probes reach it. */
  get target(): ProbeTarget {
    return { host: this.spec.host, port: this.port, cwd: this.spec.cwd, env: this.spec.env };
  }

  onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void {
    this.exitListeners.push(listener);
  }

  private exit(code: number | null, sig: NodeJS.Signals | null): void {
    if (this.state === 'exited') return;
    this.state = 'exited';
    this.spec.record?.gone(this.spec.name, this.pid);
    this.markExited();
    for (const listener of this.exitListeners) listener(code, sig);
  }

  /** Starts the process and resolves once it is ready; rejects (and kills it) if it never is. */
  async start(): Promise<void> {
    this.port = await freePort(this.spec.host);
    const [program, ...args] = this.spec.command;
    const executable = program === 'node' ? process.execPath : (program as string);
    const { record, name } = this.spec;
    record?.starting({
      name,
      kind: this.spec.kind,
      service: this.spec.service,
      track: this.spec.track,
      version: this.spec.version,
      port: this.port,
      command: [executable, ...args],
    });
    const { fd: log, offset } = openLog(this.logPath);
    this.logOffset = offset;
    let child: ChildProcess;
    try {
      child = spawn(executable, args, {
        cwd: this.spec.cwd,
        env: {
          ...process.env,
          ...this.spec.env,
          ...record?.tag(name),
          PORT: String(this.port),
          HOST: this.spec.host,
          SWITCHYARD_REPLICA: name,
          ...Object.fromEntries((this.spec.portEnv ?? []).map((v) => [v, String(this.port)])),
        },
        stdio: ['ignore', log, log],
        // Its own process group: a Ctrl-C in the terminal reaches Switchyard, which drains before stopping it.
        detached: true,
      });
    } finally {
      closeSync(log);
    }
    this.child = child;
    this.startedAt = Date.now();
    let spawnError: Error | undefined;
    child.once('error', (err) => {
      spawnError = err;
      if (child.pid === undefined) this.exit(null, null);
    });
    if (child.pid !== undefined) record?.started(name, child.pid);
    child.once('exit', (code, sig) => this.exit(code, sig));
    const probe = this.spec.readiness;
    const budgetMs =
      this.spec.readyWithinMs ??
      30_000 + (probe ? (probe.initialDelaySeconds + probe.failureThreshold * probe.periodSeconds) * 1000 : 0);
    const deadline = Date.now() + budgetMs;
    while (Date.now() < deadline) {
      if (spawnError || this.state === 'exited') break;
      if (await this.probeOnce()) {
        if (this.state === 'starting') this.state = 'ready';
        return;
      }
      // Quick at first; a worker waiting for its broker is probed twice a second, not twenty times.
      await sleep(Date.now() - this.startedAt < 5_000 ? 50 : 500);
    }
    const why = spawnError
      ? `could not start ${executable}: ${spawnError.message}`
      : this.state === 'exited'
        ? `exited (${child.signalCode ?? `code ${String(child.exitCode)}`})${said(this.lastErrorLines())}`
        : `was not ready within ${Math.round(budgetMs / 1000)} s`;
    await this.stop(1000);
    throw new SwitchyardError('SWY_RUNTIME_START_FAILED', {
      message: `Replica ${name} (${this.spec.command.join(' ')}, version ${this.spec.version}) ${why}; see ${this.logPath}`,
      details: { replica: name, log: this.logPath },
    });
  }

  /** The last error lines the process printed in this attempt (its own words for why it failed). */
  lastErrorLines(count = 3): string[] {
    return errorLines(readFrom(this.logPath, this.logOffset), count);
  }

  probeOnce(): Promise<boolean> {
    return runProbe(this.spec.readiness, this.target);
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves when the process is gone. */
  async stop(graceMs = this.spec.graceMs): Promise<void> {
    const pid = this.pid;
    if (pid === undefined || this.state === 'exited') return;
    this.state = 'stopping';
    await terminate(pid, graceMs);
    await this.exited;
  }

  /**
   * Hard kill without grace (used when Switchyard itself must leave at once): its whole process
   * group, so what it started (a worker's task processes) goes with it.
   */
  kill(): void {
    if (this.pid === undefined) return;
    signal(-this.pid, 'SIGKILL');
    signal(this.pid, 'SIGKILL');
  }
}
