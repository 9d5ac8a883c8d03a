import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScaleTarget } from '../../src/autoscale/index.js';
import type { WorkerClassName } from '../../src/config/index.js';

export const TEST_WORKER = fileURLToPath(new URL('./fixtures/test-worker.mjs', import.meta.url));

export interface WorkerProcess {
  readonly pid: number;
  readonly workerClass: WorkerClassName;
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The `stopped` log line of a graceful stop: tasks finished and tasks returned to the queue. */
  stopped?: { finished: number; requeued: number };
  draining: boolean;
  /** Parsed log lines (JSON), kept when `keepLines` is on. */
  readonly lines: Array<Record<string, unknown>>;
}

/**
 * Real worker processes (the fixture worker) for integration tests: spawn, SIGTERM, kill -9.
 * Each one logs to its own file under `logDir`.
 */
export class WorkerProcesses {
  readonly all: WorkerProcess[] = [];
  private readonly logs: WriteStream[] = [];
  private seq = 0;

  constructor(
    private readonly env: Readonly<Record<string, string>>,
    private readonly logDir: string,
    private readonly keepLines = false,
  ) {}

  /** Resolves with the first log line of `proc` that matches. */
  async waitForLine(
    proc: WorkerProcess,
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs = 60_000,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = proc.lines.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`worker ${proc.pid} logged no matching line within ${timeoutMs}ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  spawn(workerClass: WorkerClassName, extraEnv: Readonly<Record<string, string>> = {}): WorkerProcess {
    const n = ++this.seq;
    const child = spawn(process.execPath, [TEST_WORKER], {
      env: {
        ...process.env,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...this.env,
        SWITCHYARD_WORKER_CLASS: workerClass,
        SWITCHYARD_TASK_STATS_FILE: join(this.logDir, `stats-${workerClass}-${n}.jsonl`),
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = createWriteStream(join(this.logDir, `worker-${workerClass}-${n}.log`));
    this.logs.push(log);
    let resolveReady: () => void = () => undefined;
    let rejectReady: (err: Error) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    ready.catch(() => undefined);
    const proc: WorkerProcess = {
      pid: child.pid as number,
      workerClass,
      child,
      ready,
      draining: false,
      lines: [],
      exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
    };
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      log.write(chunk);
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (this.keepLines && line.startsWith('{')) proc.lines.push(JSON.parse(line) as Record<string, unknown>);
        if (line.includes('"msg":"worker started"')) resolveReady();
        if (line.includes('"msg":"stopped"')) {
          const parsed = JSON.parse(line) as { finished: number; requeued: number };
          proc.stopped = { finished: parsed.finished, requeued: parsed.requeued };
        }
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => log.write(chunk));
    void proc.exited.then(({ code, signal }) =>
      rejectReady(new Error(`worker ${proc.pid} exited before it was ready (code ${code}, signal ${signal})`)),
    );
    this.all.push(proc);
    return proc;
  }

  alive(workerClass?: WorkerClassName): WorkerProcess[] {
    return this.all.filter(
      (p) =>
        p.child.exitCode === null && p.child.signalCode === null && (!workerClass || p.workerClass === workerClass),
    );
  }

  kill9(proc: WorkerProcess): Promise<unknown> {
    proc.child.kill('SIGKILL');
    return proc.exited;
  }

  terminate(proc: WorkerProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    proc.draining = true;
    proc.child.kill('SIGTERM');
    return proc.exited;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.alive().map((p) => this.terminate(p)));
    for (const log of this.logs) log.end();
  }
}

/**
 * A ScaleTarget made of local worker processes: scaling up spawns, scaling down sends SIGTERM
 * to the newest replicas, which drain (finish their task) before they leave. Test code only:
 * the platform implements ScaleTarget for its runtimes.
 */
export class ProcessScaleTarget implements ScaleTarget {
  readonly history: Array<{ at: number; replicas: number }> = [];

  constructor(
    private readonly processes: WorkerProcesses,
    private readonly workerClass: WorkerClassName,
    private readonly env: Readonly<Record<string, string>> = {},
  ) {}

  members(): WorkerProcess[] {
    return this.processes.alive(this.workerClass).filter((p) => !p.draining);
  }

  async current(): Promise<{ replicas: number }> {
    return { replicas: this.members().length };
  }

  async scaleTo(replicas: number): Promise<void> {
    const members = this.members();
    this.history.push({ at: Date.now(), replicas });
    if (replicas > members.length) {
      const started = Array.from({ length: replicas - members.length }, () =>
        this.processes.spawn(this.workerClass, this.env),
      );
      await Promise.all(started.map((p) => p.ready));
    } else {
      for (const p of members.slice(replicas).reverse()) void this.processes.terminate(p);
    }
  }
}
