import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkerClassName } from '../config/index.js';
import { formatDuration, formatMemory } from '../units/index.js';
import type { Logger } from '../observability/log.js';
import { ObjectNotFound, spool, type ObjectStore, type SpooledFile } from '../storage/index.js';
import type { AttemptResult } from '../task/index.js';
import { END_FRAME, frame, FrameDecoder } from './frames.js';
import { ProcessMemory } from './memory.js';
import { DATA_SOCKET_ENV, parseHandshake, TASK_PROCESS_ENV, type ChildMessage, type RunMessage } from './protocol.js';

export interface PoolOptions {
  /** The worker module: each task process loads it again and serves tasks. */
  readonly module: string;
  readonly argv?: readonly string[];
  readonly size: number;
  readonly workerClass: WorkerClassName;
  readonly timeoutMs: number;
  readonly memoryBytes: number;
  readonly store: ObjectStore;
  readonly log: Logger;
  readonly onProgress?: (taskId: string, ratio: number, note: string | undefined) => void;
  /** How often the RSS watchdog looks at busy task processes. */
  readonly watchdogMs?: number;
}

export interface RunRequest {
  readonly taskId: string;
  readonly payload: unknown;
  readonly attempt: number;
}

export type PoolOutcome = { readonly kind: 'done'; readonly output: SpooledFile | Buffer } | Exclude<AttemptResult, { kind: 'done' }>;

export interface RunReport {
  readonly outcome: PoolOutcome;
  readonly durationMs: number;
  readonly peakRssBytes: number | undefined;
}

type KillReason = 'time' | 'memory' | 'interrupt' | 'recycle' | 'close';

interface ActiveRun {
  readonly token: string;
  readonly request: RunRequest;
  readonly startedAt: number;
  /** The watchdog's highest sample during this task. */
  peakRss: number | undefined;
  /** Settles with the spooled output once the task process has connected to send it. */
  readonly output: Promise<SpooledFile>;
  receiveOutput(spooled: Promise<SpooledFile>): void;
  inputError?: unknown;
  timer?: NodeJS.Timeout;
  finish(outcome: PoolOutcome): void;
}

interface Slot {
  readonly id: number;
  child?: ChildProcess;
  /** The child's /proc status, open while it lives. */
  memory?: ProcessMemory;
  state: 'starting' | 'idle' | 'busy' | 'stopped';
  run?: ActiveRun;
  killedFor?: KillReason;
  stderrTail: string;
  bootFailures: number;
  /** Resident memory of the idle process, measured when it became ready. */
  baselineRss?: number;
  /**
   * The kernel's peak-RSS mark right after it was last reset; undefined where it cannot be
   * reset (the mark then spans the process's life and says nothing about one task).
   */
  peakFloor?: number;
}

/**
 * The kernel's peak mark is reset only after a task raised it by more than this, so a peak
 * is reported at most this much above the truth while a run of small tasks costs no reset.
 */
const PEAK_SLACK_BYTES = 4 * 2 ** 20;

/** V8's own heap limit, below the RSS limit so a heap overflow is caught as a clean abort. */
export function heapLimitMb(memoryBytes: number): number {
  return Math.max(16, Math.floor((memoryBytes * 0.75) / 2 ** 20));
}

/**
 * Warm task processes, one per task the worker runs at once. A task runs in a process of its
 * own so that a task past its time or memory limit is killed (SIGKILL) without taking the
 * worker down; processes are reused across tasks and replaced only when killed, so
 * isolation does not cost a fork per task.
 */
export class TaskPool {
  private readonly slots: Slot[] = [];
  private readonly runs = new Map<string, ActiveRun>();
  private readonly waiters: Array<() => void> = [];
  private readonly sockets = new Set<Socket>();
  private readonly socketPath = join(tmpdir(), `swy-${process.pid}-${randomUUID().slice(0, 8)}.sock`);
  private server?: Server;
  private watchdog?: NodeJS.Timeout;
  private closing = false;

  constructor(private readonly options: PoolOptions) {}

  get busy(): number {
    return this.slots.filter((s) => s.state === 'busy').length;
  }

  async start(): Promise<void> {
    this.server = createServer({ allowHalfOpen: true }, (socket) => this.onData(socket));
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(this.socketPath, () => resolve());
    });
    for (let i = 0; i < this.options.size; i++) {
      const slot: Slot = { id: i, state: 'stopped', stderrTail: '', bootFailures: 0 };
      this.slots.push(slot);
      this.spawn(slot);
    }
    this.watchdog = setInterval(() => this.watch(), this.options.watchdogMs ?? 25);
    await Promise.all(this.slots.map((slot) => this.whenIdle(slot)));
  }

  private whenIdle(slot: Slot): Promise<void> {
    return new Promise((resolve) => {
      const check = () => (slot.state === 'idle' || this.closing ? resolve() : this.waiters.push(check));
      check();
    });
  }

  private spawn(slot: Slot): void {
    if (this.closing) return;
    slot.state = 'starting';
    slot.killedFor = undefined;
    slot.stderrTail = '';
    const execArgv = [...process.execArgv.filter((a) => !a.startsWith('--max-old-space-size')), `--max-old-space-size=${heapLimitMb(this.options.memoryBytes)}`];
    const child = fork(this.options.module, [...(this.options.argv ?? [])], {
      execArgv,
      env: { ...process.env, [TASK_PROCESS_ENV]: '1', [DATA_SOCKET_ENV]: this.socketPath },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      // Small JSON messages: cheaper to encode and decode than the structured-clone format.
      serialization: 'json',
    });
    slot.child = child;
    slot.memory = child.pid === undefined ? undefined : new ProcessMemory(child.pid);
    child.stderr?.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      slot.stderrTail = (slot.stderrTail + chunk.toString('utf8')).slice(-4096);
    });
    child.on('message', (message: ChildMessage) => this.onMessage(slot, child, message));
    child.on('exit', (code, signal) => this.onExit(slot, child, code, signal));
    child.on('error', (err) => this.options.log.warn('task process error', { slot: slot.id, err }));
  }

  private onMessage(slot: Slot, child: ChildProcess, message: ChildMessage): void {
    if (slot.child !== child) return;
    if (message.type === 'ready') {
      slot.state = 'idle';
      slot.bootFailures = 0;
      slot.baselineRss = slot.memory?.status()?.rss;
      slot.peakFloor = slot.memory?.resetPeak() ? slot.baselineRss : undefined;
      this.wake();
      return;
    }
    const run = slot.run;
    if (!run || message.token !== run.token) return;
    if (message.type === 'progress') {
      this.options.onProgress?.(run.request.taskId, message.ratio, message.note);
      return;
    }
    const { outcome } = message;
    if (outcome.kind !== 'done') {
      run.finish(this.withInputError(run, outcome));
      return;
    }
    if (outcome.inline !== undefined) {
      run.finish({ kind: 'done', output: Buffer.from(outcome.inline, 'base64') });
      return;
    }
    // The output's last frame has been sent; wait until it is spooled locally (the data
    // socket and the IPC channel race, so the output may still be arriving).
    const late = setTimeout(() => run.receiveOutput(Promise.reject(new Error('the task process sent no output'))), 30_000);
    run.output
      .finally(() => clearTimeout(late))
      .then((output) => run.finish({ kind: 'done', output }))
      .catch((err: unknown) => run.finish({ kind: 'transient', code: 'SWY_WORKER_HANDLER_FAILED', reason: `the output could not be received: ${(err as Error).message}` }));
  }

  /** A handler that failed because its input could not be read failed because of storage. */
  private withInputError(run: ActiveRun, outcome: Exclude<PoolOutcome, { kind: 'done' }>): PoolOutcome {
    if (run.inputError === undefined || outcome.kind === 'too-big' || outcome.kind === 'permanent') return outcome;
    if (run.inputError instanceof ObjectNotFound) return { kind: 'permanent', code: 'SWY_WORKER_INPUT_NOT_FOUND', reason: `input ${run.inputError.key} does not exist` };
    return { kind: 'transient', code: 'SWY_WORKER_STORAGE_UNAVAILABLE', reason: (run.inputError as Error).message };
  }

  private onExit(slot: Slot, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (slot.child !== child) return;
    const run = slot.run;
    const wasStarting = slot.state === 'starting';
    slot.child = undefined;
    slot.memory?.close();
    slot.memory = undefined;
    slot.state = 'stopped';
    if (run) run.finish(this.exitOutcome(slot, run, code, signal));
    if (this.closing) {
      this.wake();
      return;
    }
    if (wasStarting && slot.killedFor === undefined) {
      slot.bootFailures++;
      this.options.log.error('task process exited while starting', { slot: slot.id, code, signal, stderr: slot.stderrTail.slice(-1000) });
    }
    const delay = slot.bootFailures ? Math.min(5_000, 100 * 2 ** slot.bootFailures) : 0;
    setTimeout(() => this.spawn(slot), delay).unref();
  }

  private exitOutcome(slot: Slot, run: ActiveRun, code: number | null, signal: NodeJS.Signals | null): PoolOutcome {
    const cls = this.options.workerClass;
    const elapsed = Date.now() - run.startedAt;
    switch (slot.killedFor) {
      case 'time':
        return { kind: 'time-limit', code: 'SWY_WORKER_TIME_LIMIT', reason: `ran ${formatDuration(elapsed)}, past the ${cls} class's ${formatDuration(this.options.timeoutMs)}` };
      case 'memory':
        return { kind: 'memory-limit', code: 'SWY_WORKER_MEMORY_LIMIT', reason: `reached ${formatMemory(run.peakRss ?? 0)} resident, past the ${cls} class's ${formatMemory(this.options.memoryBytes)}` };
      case 'interrupt':
      case 'close':
        return { kind: 'interrupted', reason: 'the worker is shutting down' };
      default:
        break;
    }
    if (/heap out of memory|Reached heap limit/i.test(slot.stderrTail)) {
      return { kind: 'memory-limit', code: 'SWY_WORKER_MEMORY_LIMIT', reason: `the JavaScript heap outgrew --max-old-space-size=${heapLimitMb(this.options.memoryBytes)}MB in the ${cls} class` };
    }
    if (signal === 'SIGKILL') {
      return { kind: 'memory-limit', code: 'SWY_WORKER_MEMORY_LIMIT', reason: `the task process was killed by SIGKILL from outside the worker (the kernel's out-of-memory killer?) in the ${cls} class` };
    }
    return { kind: 'crashed', code: 'SWY_WORKER_TASK_CRASHED', reason: `the task process exited with ${signal ? `signal ${signal}` : `code ${code}`}` };
  }

  private kill(slot: Slot, reason: KillReason): void {
    if (!slot.child || slot.killedFor) return;
    slot.killedFor = reason;
    slot.child.kill('SIGKILL');
  }

  private watch(): void {
    for (const slot of this.slots) {
      const run = slot.run;
      if (slot.state !== 'busy' || !run || !slot.memory || slot.killedFor) continue;
      const rss = slot.memory.status()?.rss;
      if (rss === undefined) continue;
      run.peakRss = Math.max(run.peakRss ?? 0, rss);
      if (rss > this.options.memoryBytes) this.kill(slot, 'memory');
    }
  }

  private wake(): void {
    const waiting = this.waiters.splice(0);
    for (const w of waiting) w();
  }

  /** Takes an idle slot, marking it busy before anyone else can look at it. */
  private async acquire(): Promise<Slot> {
    for (;;) {
      if (this.closing) throw new Error('the task pool is closed');
      const slot = this.slots.find((s) => s.state === 'idle');
      if (slot) {
        slot.state = 'busy';
        return slot;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Runs one task in a task process; never rejects for anything the task does. */
  async run(request: RunRequest): Promise<RunReport> {
    const slot = await this.acquire();
    const child = slot.child as ChildProcess;
    const token = randomUUID();
    const startedAt = Date.now();
    let receiveOutput: (spooled: Promise<SpooledFile>) => void = () => undefined;
    const output = new Promise<SpooledFile>((resolve) => {
      receiveOutput = resolve;
    });
    output.catch(() => undefined);
    return new Promise<RunReport>((resolve) => {
      const run: ActiveRun = {
        token,
        output,
        receiveOutput,
        request,
        startedAt,
        peakRss: undefined,
        finish: (outcome) => {
          if (slot.run !== run) return;
          clearTimeout(run.timer);
          if (outcome.kind !== 'done') output.then((file) => file.cleanup()).catch(() => undefined);
          slot.run = undefined;
          this.runs.delete(token);
          const status = slot.child === child ? slot.memory?.status() : undefined;
          // A task's peak: the watchdog's samples, and the kernel's mark when it was reset
          // before the task (within PEAK_SLACK_BYTES of the truth).
          const hwm = slot.peakFloor !== undefined ? status?.hwm : undefined;
          const peakRssBytes = Math.max(run.peakRss ?? 0, hwm ?? 0) || undefined;
          if (slot.child === child && slot.state === 'busy') {
            // A process that kept more than half of its headroom (what the limit leaves above an
            // idle process) is replaced, so the next task starts small; others are reused.
            const rss = status?.rss ?? 0;
            const baseline = slot.baselineRss ?? 0;
            if (rss - baseline > (this.options.memoryBytes - baseline) / 2) {
              this.kill(slot, 'recycle');
            } else {
              if (slot.peakFloor !== undefined && status && status.hwm > slot.peakFloor + PEAK_SLACK_BYTES) {
                slot.peakFloor = slot.memory?.resetPeak() ? status.rss : undefined;
              }
              slot.state = 'idle';
              this.wake();
            }
          }
          resolve({ outcome, durationMs: Date.now() - startedAt, peakRssBytes });
        },
      };
      slot.run = run;
      this.runs.set(token, run);
      run.timer = setTimeout(() => this.kill(slot, 'time'), this.options.timeoutMs);
      const message: RunMessage = { type: 'run', token, taskId: request.taskId, payload: request.payload, workerClass: this.options.workerClass, attempt: request.attempt };
      child.send(message, (err) => {
        if (err) this.kill(slot, 'interrupt');
      });
    });
  }

  private onData(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    let head = Buffer.alloc(0);
    const onChunk = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const newline = head.indexOf(10);
      if (newline < 0) return;
      socket.off('data', onChunk);
      socket.pause();
      const rest = head.subarray(newline + 1);
      const hs = parseHandshake(head.subarray(0, newline).toString('utf8'));
      const run = hs ? this.runs.get(hs.token) : undefined;
      if (!hs || !run) {
        socket.destroy();
        return;
      }
      if (hs.direction === 'in') void this.sendInput(socket, run, hs.key ?? '');
      else this.receiveOutput(socket, run, rest);
    };
    socket.on('data', onChunk);
    socket.on('error', () => undefined);
  }

  private async sendInput(socket: Socket, run: ActiveRun, key: string): Promise<void> {
    try {
      const input = await this.options.store.read(key);
      for await (const chunk of input) {
        if (!socket.write(frame(chunk as Buffer))) await new Promise((r) => socket.once('drain', r));
        if (socket.destroyed) return;
      }
      socket.end(END_FRAME);
    } catch (err) {
      run.inputError = err;
      socket.destroy();
    }
  }

  private receiveOutput(socket: Socket, run: ActiveRun, rest: Buffer): void {
    const decoder = new FrameDecoder('output');
    // The task process has sent everything: close our side too (the socket is half-open).
    socket.on('end', () => socket.end());
    socket.on('close', () => {
      if (!decoder.writableEnded) decoder.end();
    });
    if (rest.byteLength) decoder.write(rest);
    socket.pipe(decoder);
    run.receiveOutput(spool(decoder));
    socket.resume();
  }

  /** Kills every busy task process: their tasks are reported as interrupted. */
  interruptAll(): void {
    for (const slot of this.slots) if (slot.state === 'busy') this.kill(slot, 'interrupt');
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.watchdog);
    const exits = this.slots.map(
      (slot) =>
        new Promise<void>((resolve) => {
          const child = slot.child;
          if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          this.kill(slot, 'close');
        }),
    );
    this.wake();
    await Promise.all(exits);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    rmSync(this.socketPath, { force: true });
  }
}
