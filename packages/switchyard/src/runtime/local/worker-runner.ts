import type { ScaleTarget } from '@switchyard/worker';
import { workerEnv } from '../../render/index.js';
import type { Probe, Worker, WorkerClass } from '../../spec/index.js';
import type { WorkerClassStatus, WorkerEvent } from '../port.js';
import type { ProcessRecord } from './process-record.js';
import { Replica } from './replica.js';

export interface WorkerRunnerOptions {
  readonly worker: Worker;
  readonly workerClass: WorkerClass;
  readonly cwd: string;
  readonly logDir: string;
  readonly host: string;
  /** Broker, storage and stats settings the platform adds to the worker's own environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly onEvent?: (event: WorkerEvent) => void;
  /** Where worker processes are written down before they start (see process-record.ts). */
  readonly record?: ProcessRecord;
}

const READY: Probe = {
  kind: 'http',
  path: '/ready',
  port: 0,
  periodSeconds: 1,
  timeoutSeconds: 1,
  failureThreshold: 30,
  initialDelaySeconds: 0,
};

/**
 * One class of one worker (normal or fallback) as local processes: the scale target its
 * queue-depth autoscaler drives. Scaling down sends SIGTERM to the newest replicas, which stop
 * taking tasks and finish the ones they hold (the SDK drains) before they exit.
 */
export class WorkerClassRunner implements ScaleTarget {
  private desired: number;
  private replicas: Replica[] = [];
  private counter = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: WorkerRunnerOptions) {
    this.desired = options.workerClass.minReplicas;
  }

  get name(): string {
    return `${this.options.worker.name}/${this.options.workerClass.name}`;
  }

  async current(): Promise<{ replicas: number }> {
    return { replicas: this.desired };
  }

  status(): WorkerClassStatus {
    return {
      worker: this.options.worker.name,
      workerClass: this.options.workerClass.name,
      queue: this.options.workerClass.queue,
      desired: this.desired,
      ready: this.replicas.filter((r) => r.state === 'ready').length,
      replicas: this.replicas.map((r) => ({
        name: r.spec.name,
        ...(r.pid ? { pid: r.pid } : {}),
        port: r.port,
        state: r.state,
      })),
    };
  }

  pids(): number[] {
    return this.replicas.map((r) => r.pid).filter((p): p is number => p !== undefined);
  }

  start(): Promise<void> {
    return this.scaleTo(this.desired);
  }

  scaleTo(replicas: number): Promise<void> {
    const { workerClass, worker } = this.options;
    const target = Math.max(0, Math.min(workerClass.maxReplicas, replicas));
    return this.serial(async () => {
      if (target !== this.desired)
        this.options.onEvent?.({
          type: 'worker-scaled',
          worker: worker.name,
          workerClass: workerClass.name,
          from: this.desired,
          to: target,
        });
      this.desired = target;
      await this.converge();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.serial(async () => {
      await Promise.all(this.replicas.map((r) => r.stop()));
      this.replicas = [];
    });
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async converge(): Promise<void> {
    const missing = this.desired - this.replicas.length;
    if (missing > 0) await Promise.all(Array.from({ length: missing }, () => this.launch()));
    // The newest go first; each finishes what it holds before it exits.
    const extra = this.replicas.slice(this.desired).reverse();
    this.replicas = this.replicas.slice(0, this.desired);
    await Promise.all(extra.map((r) => r.stop()));
  }

  private async launch(): Promise<void> {
    const { worker, workerClass } = this.options;
    this.counter++;
    const replica = new Replica({
      service: worker.name,
      track: workerClass.name,
      version: worker.version,
      name: `${worker.name}-${workerClass.name}-${this.counter}`,
      command: worker.command ?? [],
      cwd: this.options.cwd,
      env: { ...workerEnv(worker, workerClass), ...this.options.env },
      readiness: READY,
      logDir: this.options.logDir,
      // Long enough for the longest task of the class to finish after SIGTERM.
      graceMs: workerClass.timeoutMs + 10_000,
      host: this.options.host,
      portEnv: ['SWITCHYARD_METRICS_PORT'],
      kind: 'worker',
      ...(this.options.record ? { record: this.options.record } : {}),
    });
    this.replicas.push(replica);
    try {
      await replica.start();
    } catch (err) {
      this.replicas = this.replicas.filter((r) => r !== replica);
      this.options.onEvent?.({
        type: 'worker-start-failed',
        worker: worker.name,
        workerClass: workerClass.name,
        replica: replica.spec.name,
        error: (err as Error).message,
      });
      this.retryLater();
      return;
    }
    this.options.onEvent?.({
      type: 'worker-ready',
      worker: worker.name,
      workerClass: workerClass.name,
      replica: replica.spec.name,
    });
    replica.onExit((code, signal) => {
      if (!this.replicas.includes(replica) || this.stopped) return;
      this.replicas = this.replicas.filter((r) => r !== replica);
      this.options.onEvent?.({
        type: 'worker-exited',
        worker: worker.name,
        workerClass: workerClass.name,
        replica: replica.spec.name,
        code,
        signal,
      });
      this.retryLater();
    });
  }

  private retryLater(): void {
    setTimeout(() => {
      if (!this.stopped) void this.serial(() => this.converge());
    }, 2000).unref();
  }
}
