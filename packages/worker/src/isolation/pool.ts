import type { WorkerClassName } from '../config/index.js';
import type { Logger } from '../observability/log.js';
import type { ObjectStore } from '../storage/index.js';
import { DataChannel } from './data-channel.js';
import type { RunLimits } from './limits.js';
import { exitOutcome, outputNotReceived, withInputError, type PoolOutcome } from './outcome.js';
import type { ChildMessage, RunMessage } from './protocol.js';
import { SlotBoard, type Slot } from './slots.js';
import { TaskProcess } from './task-process.js';
import { ActiveRun, type RunReport, type RunRequest } from './task-run.js';
import { MemoryWatchdog } from './watchdog.js';
import { WorkerError } from '../errors/index.js';

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

/** How long the output may take to arrive after the task process said it was sent. */
const OUTPUT_GRACE_MS = 30_000;

/**
 * Warm task processes, one per task the worker runs at once. A task runs in a process of its
 * own so that a task past its time or memory limit is killed (SIGKILL) without taking the
 * worker down; processes are reused across tasks and replaced only when killed, so
 * isolation does not cost a fork per task.
 */
export class TaskPool {
  private readonly board: SlotBoard;
  private readonly runs = new Map<string, ActiveRun>();
  private readonly channel: DataChannel;
  private readonly watchdog: MemoryWatchdog;
  private readonly limits: RunLimits;

  constructor(private readonly options: PoolOptions) {
    this.board = new SlotBoard(options.size);
    this.channel = new DataChannel(options.store, (token) => this.runs.get(token));
    this.watchdog = new MemoryWatchdog(this.board.slots, options.memoryBytes);
    this.limits = { workerClass: options.workerClass, timeoutMs: options.timeoutMs, memoryBytes: options.memoryBytes };
  }

  get busy(): number {
    return this.board.busy;
  }

  async start(): Promise<void> {
    await this.channel.listen();
    for (const slot of this.board.slots) this.spawn(slot);
    this.watchdog.start(this.options.watchdogMs ?? 25);
    await Promise.all(this.board.slots.map((slot) => this.board.whenIdle(slot)));
  }

  private spawn(slot: Slot): void {
    if (this.board.closed) return;
    slot.state = 'starting';
    const proc: TaskProcess = new TaskProcess(
      {
        module: this.options.module,
        argv: this.options.argv ?? [],
        memoryBytes: this.options.memoryBytes,
        dataSocket: this.channel.path,
      },
      {
        message: (message) => this.onMessage(slot, proc, message),
        exit: (code, signal) => this.onExit(slot, proc, code, signal),
        error: (err) => this.options.log.warn('task process error', { slot: slot.id, err }),
      },
    );
    slot.process = proc;
  }

  private onMessage(slot: Slot, proc: TaskProcess, message: ChildMessage): void {
    if (slot.process !== proc) return;
    if (message.type === 'ready') {
      slot.state = 'idle';
      slot.bootFailures = 0;
      this.watchdog.ready(slot);
      this.board.wake();
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
      run.finish(withInputError(outcome, run.inputError));
      return;
    }
    if (outcome.inline !== undefined) {
      run.finish({ kind: 'done', output: Buffer.from(outcome.inline, 'base64') });
      return;
    }
    // The output's last frame has been sent; wait until it is spooled locally (the data
    // channel and the IPC channel race, so the output may still be arriving).
    const late = setTimeout(
      () =>
        run.receiveOutput(
          Promise.reject(new WorkerError('SWY_WORKER_TASK_CRASHED', { message: 'The task process sent no output' })),
        ),
      OUTPUT_GRACE_MS,
    );
    run.output
      .finally(() => clearTimeout(late))
      .then((output) => run.finish({ kind: 'done', output }))
      .catch((err: unknown) => run.finish(outputNotReceived(err)));
  }

  private onExit(slot: Slot, proc: TaskProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (slot.process !== proc) return;
    const run = slot.run;
    const wasStarting = slot.state === 'starting';
    slot.process = undefined;
    slot.state = 'stopped';
    if (run) {
      const exit = {
        killedFor: proc.killedFor,
        code,
        signal,
        stderrTail: proc.stderrTail,
        ranMs: Date.now() - run.startedAt,
        peakRssBytes: run.peakRss,
      };
      run.finish(exitOutcome(exit, this.limits));
    }
    if (this.board.closed) {
      this.board.wake();
      return;
    }
    if (wasStarting && proc.killedFor === undefined) {
      slot.bootFailures++;
      this.options.log.error('task process exited while starting', {
        slot: slot.id,
        code,
        signal,
        stderr: proc.stderrTail.slice(-1000),
      });
    }
    const delay = slot.bootFailures ? Math.min(5_000, 100 * 2 ** slot.bootFailures) : 0;
    setTimeout(() => this.spawn(slot), delay).unref();
  }

  /** Runs one task in a task process; never rejects for anything the task does. */
  async run(request: RunRequest): Promise<RunReport> {
    const slot = await this.board.acquire();
    const proc = slot.process as TaskProcess;
    return new Promise<RunReport>((resolve) => {
      const run: ActiveRun = new ActiveRun(request, (outcome) => {
        if (slot.run === run) resolve(this.settle(slot, proc, run, outcome));
      });
      slot.run = run;
      this.runs.set(run.token, run);
      run.timer = setTimeout(() => proc.kill('time'), this.options.timeoutMs);
      const message: RunMessage = {
        type: 'run',
        token: run.token,
        taskId: request.taskId,
        payload: request.payload,
        workerClass: this.options.workerClass,
        attempt: request.attempt,
      };
      proc.send(message, () => proc.kill('interrupt'));
    });
  }

  /** Ends a run: frees its slot (or replaces a process that kept too much memory) and reports. */
  private settle(slot: Slot, proc: TaskProcess, run: ActiveRun, outcome: PoolOutcome): RunReport {
    clearTimeout(run.timer);
    if (outcome.kind !== 'done') run.output.then((file) => file.cleanup()).catch(() => undefined);
    slot.run = undefined;
    this.runs.delete(run.token);
    const alive = slot.process === proc;
    const status = alive ? proc.memory?.status() : undefined;
    const peakRssBytes = this.watchdog.taskPeak(slot, run.peakRss, status);
    if (alive && slot.state === 'busy') {
      if (this.watchdog.mayKeep(slot, status)) {
        slot.state = 'idle';
        this.board.wake();
      } else {
        proc.kill('recycle');
      }
    }
    return { outcome, durationMs: Date.now() - run.startedAt, peakRssBytes };
  }

  /** Kills every busy task process: their tasks are reported as interrupted. */
  interruptAll(): void {
    for (const slot of this.board.slots) if (slot.state === 'busy') slot.process?.kill('interrupt');
  }

  async close(): Promise<void> {
    this.board.close();
    this.watchdog.stop();
    await Promise.all(this.board.slots.map((slot) => slot.process?.end('close')));
    await this.channel.close();
  }
}
