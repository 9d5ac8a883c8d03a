import type { ScaleTarget } from '@switchyard/worker';
import { request } from 'node:http';
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
  /** The first restart's delay; each further one doubles it (1 s by default). */
  readonly restartDelayMs?: number;
  /** How long a replica is ready before its next failure starts the backoff afresh (RAN_WELL_MS by default). */
  readonly ranWellMs?: number;
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

/** Restarts of a replica that keeps failing back off up to this delay. */
export const RESTART_DELAY_MAX_MS = 60_000;
/** A replica ready this long ran well: its next failure starts the backoff afresh. */
export const RAN_WELL_MS = 60_000;

/** The delay before the restart that follows `failures` failures in a row: doubling from `firstMs`, bounded. */
export function restartDelay(failures: number, firstMs = 1_000): number {
  return Math.min(RESTART_DELAY_MAX_MS, firstMs * 2 ** Math.min(failures, 30));
}

interface Member {
  readonly replica: Replica;
  /** Its place in the class: the replica's name and log file stay the same across restarts. */
  readonly slot: number;
  /** Set when Switchyard stops it on purpose; an exit is then not a failure. */
  retiring: boolean;
  readyAt?: number;
  /** What a started worker that is not ready says it waits for (its /ready answer). */
  waiting?: string | undefined;
}

/** A slot whose replica failed, waiting for its restart. */
interface Backoff {
  readonly timer: NodeJS.Timeout;
  readonly name: string;
  readonly at: number;
  readonly why: string;
}

/** What a worker's /ready answers while it is not ready: `{"ok":false,"waiting":"broker"}`. */
function waitingFor(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/ready', timeout: 1000, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => {
        try {
          const parsed = JSON.parse(body) as { waiting?: unknown };
          resolve(typeof parsed.waiting === 'string' ? parsed.waiting : undefined);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/**
 * One class of one worker (normal or fallback) as local processes: the scale target its
 * queue-depth autoscaler drives. Replicas start without holding anything up (a worker whose
 * broker is unreachable runs and says it waits); one that fails is restarted in the same slot
 * (same name, same log file) with exponential backoff, and the event carries its own last
 * error lines. Scaling down sends SIGTERM to the newest replicas, which finish the tasks they
 * hold (the SDK drains) before they exit.
 */
export class WorkerClassRunner implements ScaleTarget {
  private desired: number;
  private members: Member[] = [];
  /** Failures in a row, per slot. */
  private readonly failures = new Map<number, number>();
  private readonly backoffs = new Map<number, Backoff>();
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private readonly poll: NodeJS.Timeout;

  constructor(private readonly options: WorkerRunnerOptions) {
    this.desired = options.workerClass.minReplicas;
    this.poll = setInterval(() => void this.askWaiting(), 1000);
    this.poll.unref();
  }

  get name(): string {
    return `${this.options.worker.name}/${this.options.workerClass.name}`;
  }

  async current(): Promise<{ replicas: number }> {
    return { replicas: this.desired };
  }

  status(): WorkerClassStatus {
    const now = Date.now();
    return {
      worker: this.options.worker.name,
      workerClass: this.options.workerClass.name,
      queue: this.options.workerClass.queue,
      desired: this.desired,
      ready: this.members.filter((m) => !m.retiring && m.replica.state === 'ready').length,
      replicas: [
        ...this.members.map((m) => ({
          name: m.replica.spec.name,
          ...(m.replica.pid ? { pid: m.replica.pid } : {}),
          port: m.replica.port,
          state: m.replica.state === 'starting' && m.waiting ? 'waiting' : m.replica.state,
          ...(m.replica.state === 'starting' && m.waiting ? { reason: `waiting for the ${m.waiting}` } : {}),
        })),
        ...[...this.backoffs.values()].map((b) => ({
          name: b.name,
          port: 0,
          state: 'restarting',
          reason: `${b.why}; restarting in ${Math.max(0, Math.ceil((b.at - now) / 1000))} s`,
        })),
      ],
    };
  }

  pids(): number[] {
    return this.members.map((m) => m.replica.pid).filter((p): p is number => p !== undefined);
  }

  start(): Promise<void> {
    return this.scaleTo(this.desired);
  }

  /** Sets the replica count; new replicas are started, not waited for (status and events say when they are ready). */
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
    clearInterval(this.poll);
    for (const b of this.backoffs.values()) clearTimeout(b.timer);
    this.backoffs.clear();
    await this.serial(async () => {
      await Promise.all(this.members.map((m) => this.retire(m)));
    });
  }

  /** Kills every replica and its task processes at once (their process groups), without draining. */
  kill(): void {
    this.stopped = true;
    clearInterval(this.poll);
    for (const b of this.backoffs.values()) clearTimeout(b.timer);
    this.backoffs.clear();
    for (const m of this.members) m.replica.kill();
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private live(): Member[] {
    return this.members.filter((m) => !m.retiring);
  }

  private async converge(): Promise<void> {
    if (this.stopped) return;
    // A slot waiting for its restart counts as wanted: its replacement comes when the backoff ends.
    let excess = this.live().length + this.backoffs.size - this.desired;
    for (const slot of [...this.backoffs.keys()].sort((a, b) => b - a)) {
      if (excess <= 0) break;
      clearTimeout(this.backoffs.get(slot)?.timer);
      this.backoffs.delete(slot);
      this.failures.delete(slot);
      excess--;
    }
    const used = new Set([...this.live().map((m) => m.slot), ...this.backoffs.keys()]);
    for (let slot = 1; this.live().length + this.backoffs.size < this.desired; slot++)
      if (!used.has(slot)) this.launch(slot);
    // The newest go first; each finishes what it holds before it exits.
    const extra = this.live()
      .sort((a, b) => a.slot - b.slot)
      .slice(this.desired)
      .reverse();
    await Promise.all(extra.map((m) => this.retire(m)));
  }

  private launch(slot: number): void {
    const { worker, workerClass } = this.options;
    this.backoffs.delete(slot);
    const replica = new Replica({
      service: worker.name,
      track: workerClass.name,
      version: worker.version,
      name: `${worker.name}-${workerClass.name}-${slot}`,
      command: worker.command ?? [],
      cwd: this.options.cwd,
      env: { ...workerEnv(worker, workerClass), ...this.options.env },
      readiness: READY,
      // A worker that cannot reach its broker yet keeps running and retrying: it is waited for, never given up on.
      readyWithinMs: Number.POSITIVE_INFINITY,
      logDir: this.options.logDir,
      // Long enough for the longest task of the class to finish after SIGTERM.
      graceMs: workerClass.timeoutMs + 10_000,
      host: this.options.host,
      portEnv: ['SWITCHYARD_METRICS_PORT'],
      kind: 'worker',
      ...(this.options.record ? { record: this.options.record } : {}),
    });
    const member: Member = { replica, slot, retiring: false };
    this.members.push(member);
    replica.onExit((code, signal) => this.exited(member, code, signal));
    replica.start().then(
      () => {
        member.readyAt = Date.now();
        member.waiting = undefined;
        if (member.retiring || this.stopped) return;
        this.options.onEvent?.({
          type: 'worker-ready',
          worker: worker.name,
          workerClass: workerClass.name,
          replica: replica.spec.name,
        });
      },
      // It exited (or could not be spawned): exited() says so and schedules the restart.
      () => undefined,
    );
  }

  /** Asks replicas that run but are not ready what they wait for (the broker, usually). */
  private async askWaiting(): Promise<void> {
    const starting = this.members.filter((m) => m.replica.state === 'starting' && m.replica.port > 0);
    await Promise.all(
      starting.map(async (m) => {
        m.waiting = await waitingFor(this.options.host, m.replica.port);
      }),
    );
  }

  private async retire(member: Member): Promise<void> {
    member.retiring = true;
    await member.replica.stop();
    this.members = this.members.filter((m) => m !== member);
  }

  private exited(member: Member, code: number | null, signal: NodeJS.Signals | null): void {
    this.members = this.members.filter((m) => m !== member);
    if (member.retiring || this.stopped) return;
    const { worker, workerClass } = this.options;
    const { slot, replica } = member;
    const ranWell =
      member.readyAt !== undefined && Date.now() - member.readyAt >= (this.options.ranWellMs ?? RAN_WELL_MS);
    const failures = ranWell ? 0 : (this.failures.get(slot) ?? 0);
    this.failures.set(slot, failures + 1);
    const delay = restartDelay(failures, this.options.restartDelayMs);
    const lastLines = replica.lastErrorLines();
    const how = signal ?? `code ${String(code)}`;
    const base = {
      worker: worker.name,
      workerClass: workerClass.name,
      replica: replica.spec.name,
      restartInMs: delay,
      lastLines,
      log: replica.logPath,
    };
    if (member.readyAt === undefined)
      this.options.onEvent?.({ type: 'worker-start-failed', ...base, error: `exited (${how}) before it was ready` });
    else this.options.onEvent?.({ type: 'worker-exited', ...base, code, signal });
    const timer = setTimeout(() => {
      this.backoffs.delete(slot);
      void this.serial(() => this.converge());
    }, delay);
    timer.unref();
    this.backoffs.set(slot, {
      timer,
      name: replica.spec.name,
      at: Date.now() + delay,
      why: `exited (${how})${lastLines.length ? `: ${lastLines.at(-1)?.trim() ?? ''}` : ''}`,
    });
  }
}
