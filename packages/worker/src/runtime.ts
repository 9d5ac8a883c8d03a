import type { Server } from 'node:http';
import { hostname } from 'node:os';
import type { WorkerConfig } from './config/index.js';
import { outputKeyOf, type WorkerDefinition } from './definition.js';
import type { WorkerErrorCode } from './errors/index.js';
import { TaskPool } from './isolation/index.js';
import { createLogger, type Logger } from './observability/log.js';
import { WorkerMetrics, type ActionLabel } from './observability/metrics.js';
import { serveObservability } from './observability/server.js';
import { RabbitMqQueue, type Delivery, type Queue, type QueueMessage } from './queue/index.js';
import { appendStat } from './stats/index.js';
import { createObjectStore, type ObjectStore } from './storage/index.js';
import { formatDuration, formatMemory } from './units/index.js';
import {
  decide,
  deadLetterReason,
  encodeEnvelope,
  HEADER,
  outcomeOf,
  parseEnvelope,
  summaryHeaders,
  withAttempt,
  type AttemptRecord,
  type AttemptResult,
  type TaskAction,
  type TaskEnvelope,
} from './task/index.js';

export interface RuntimeOptions {
  /** The module task processes load (the worker's own script). */
  readonly module: string;
  readonly argv?: readonly string[];
  /** Injected for tests of other brokers; RabbitMQ by default. */
  readonly queue?: Queue;
  readonly log?: Logger;
}

const ACTION_LABEL: Record<TaskAction['type'], ActionLabel> = {
  ack: 'done',
  escalate: 'escalated',
  retry: 'retried',
  'dead-letter': 'dead_lettered',
  requeue: 'requeued',
};

/**
 * The worker's main loop: consume, check the output is not already there, run the task in a
 * task process, write its output once, then answer the message as `decide` says — publishing
 * (confirmed) before acknowledging, so that a crash at any point loses nothing.
 */
export class WorkerRuntime {
  readonly config: WorkerConfig;
  readonly log: Logger;
  readonly metrics: WorkerMetrics;
  private readonly queue: Queue;
  private readonly store: ObjectStore;
  private readonly pool: TaskPool;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly workerId = `${hostname()}:${process.pid}`;
  private server?: Server;
  private draining = false;
  private consuming = false;
  private disconnectedAt: number | undefined;
  private stopping?: Promise<void>;
  metricsPort: number | undefined;

  constructor(
    private readonly definition: WorkerDefinition,
    config: WorkerConfig,
    options: RuntimeOptions,
  ) {
    this.config = config;
    this.log =
      options.log ??
      createLogger({ service: config.service, version: config.version, class: config.workerClass, pid: process.pid });
    this.metrics = new WorkerMetrics({ service: config.service, version: config.version });
    this.store = createObjectStore(config.storage);
    this.queue =
      options.queue ??
      new RabbitMqQueue({
        url: config.brokerUrl,
        topology: {
          queue: config.queue,
          fallbackQueue: config.fallbackQueue,
          deadLetterQueue: config.deadLetterQueue,
          deliveryLimit: config.deliveryLimit,
        },
        log: this.log,
        connectionName: `${config.service}/${config.workerClass}/${this.workerId}`,
      });
    this.pool = new TaskPool({
      module: options.module,
      ...(options.argv ? { argv: options.argv } : {}),
      size: config.prefetch,
      workerClass: config.workerClass,
      timeoutMs: config.limits.timeoutMs,
      memoryBytes: config.limits.memoryBytes,
      store: this.store,
      log: this.log,
      onProgress: (taskId, ratio, note) => {
        this.metrics.reportProgress(config.workerClass, taskId, ratio);
        this.log.info('task progress', { taskId, progress: ratio, ...(note === undefined ? {} : { note }) });
      },
    });
  }

  /** The queue this class consumes. */
  get consumedQueue(): string {
    return this.config.workerClass === 'normal' ? this.config.queue : this.config.fallbackQueue;
  }

  async start(): Promise<void> {
    const { config } = this;
    this.queue.onStateChange((state) => {
      this.metrics.connected(state === 'connected');
      this.disconnectedAt = state === 'connected' ? undefined : (this.disconnectedAt ?? Date.now());
    });
    if (config.metricsPort !== undefined) {
      const served = await serveObservability(config.metricsPort, this.metrics.registry, {
        ready: () => this.ready(),
        healthy: () => this.healthy(),
        waitingFor: () => this.waitingFor(),
      });
      this.server = served.server;
      this.metricsPort = served.port;
    }
    await this.store.open?.();
    await this.pool.start();
    await this.queue.start();
    await this.queue.consume(this.consumedQueue, config.prefetch, (delivery) => this.onDelivery(delivery));
    this.consuming = true;
    this.log.info('worker started', {
      queue: this.consumedQueue,
      fallbackQueue: config.fallbackQueue || null,
      prefetch: config.prefetch,
      timeout: formatDuration(config.limits.timeoutMs),
      memory: formatMemory(config.limits.memoryBytes),
      metricsPort: this.metricsPort ?? null,
    });
  }

  ready(): boolean {
    return this.consuming && !this.draining && this.queue.state === 'connected';
  }

  /** Why it is not ready: the broker it cannot reach yet, or its own start or stop. */
  waitingFor(): string | undefined {
    if (this.ready()) return undefined;
    if (this.draining) return 'draining';
    return this.queue.state === 'connected' ? 'start' : 'broker';
  }

  healthy(): boolean {
    return this.disconnectedAt === undefined || Date.now() - this.disconnectedAt < 120_000;
  }

  get tasksInFlight(): number {
    return this.inFlight.size;
  }

  private onDelivery(delivery: Delivery): void {
    if (this.draining) {
      delivery.requeue();
      return;
    }
    const work = this.handle(delivery).catch((err: unknown) => {
      this.log.error('unexpected error while handling a task; returning it to the queue', {
        code: 'SWY_WORKER_INTERNAL',
        err,
      });
      delivery.requeue();
    });
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async handle(delivery: Delivery): Promise<void> {
    const cls = this.config.workerClass;
    const parsed = parseEnvelope(delivery.message.body);
    if (!parsed.ok) {
      await this.deadLetterRaw(delivery, 'SWY_WORKER_ENVELOPE_INVALID', parsed.reason);
      return;
    }
    const envelope = parsed.envelope;
    const log = this.log.child({ taskId: envelope.id });
    const checked = this.definition.payload.safeParse(envelope.payload);
    const startedAt = new Date();
    if (!checked.success) {
      const reason = checked.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
      const result: AttemptResult = { kind: 'permanent', code: 'SWY_WORKER_PAYLOAD_INVALID', reason };
      await this.conclude(delivery, envelope, result, this.record(result, startedAt, 0, undefined), undefined, log);
      return;
    }
    const outputKey = outputKeyOf(this.definition, envelope.id, checked.data);

    // A redelivered, retried or escalated task whose output exists is done: skip it. A first
    // delivery is not checked (one storage round trip less per task): should it be a
    // duplicate publish, the conditional write still keeps the first output.
    const seenBefore = delivery.deliveryCount > 0 || envelope.history.length > 0;
    let existing;
    try {
      existing = seenBefore ? await this.store.head(outputKey) : undefined;
    } catch (err) {
      const result: AttemptResult = {
        kind: 'transient',
        code: 'SWY_WORKER_STORAGE_UNAVAILABLE',
        reason: (err as Error).message,
      };
      await this.conclude(delivery, envelope, result, this.record(result, startedAt, 0, undefined), outputKey, log);
      return;
    }
    if (existing) {
      const result: AttemptResult = {
        kind: 'done',
        written: false,
        sha256: existing.sha256 ?? '',
        bytes: existing.bytes,
      };
      await this.conclude(delivery, envelope, result, this.record(result, startedAt, 0, undefined), outputKey, log);
      return;
    }

    this.metrics.started(cls);
    let report;
    try {
      report = await this.pool.run({
        taskId: envelope.id,
        payload: envelope.payload,
        attempt: envelope.history.length + 1,
      });
    } finally {
      this.metrics.clearProgress(cls, envelope.id);
    }
    let result: AttemptResult;
    if (report.outcome.kind === 'done') {
      const output = report.outcome.output;
      try {
        const put = await this.store.putIfAbsent(outputKey, output);
        result = { kind: 'done', written: put.created, sha256: put.sha256, bytes: put.bytes };
      } catch (err) {
        result = {
          kind: 'transient',
          code: 'SWY_WORKER_STORAGE_UNAVAILABLE',
          reason: `the output could not be written: ${(err as Error).message}`,
        };
      } finally {
        if (!Buffer.isBuffer(output)) await output.cleanup();
      }
    } else {
      result = report.outcome;
    }
    await this.conclude(
      delivery,
      envelope,
      result,
      this.record(result, startedAt, report.durationMs, report.peakRssBytes),
      outputKey,
      log,
      true,
    );
  }

  private record(
    result: AttemptResult,
    startedAt: Date,
    durationMs: number,
    peakRssBytes: number | undefined,
  ): AttemptRecord {
    return {
      class: this.config.workerClass,
      outcome: outcomeOf(result),
      ...(result.kind !== 'done' && result.kind !== 'interrupted' ? { code: result.code, reason: result.reason } : {}),
      ...(result.kind === 'interrupted' ? { reason: result.reason } : {}),
      startedAt: startedAt.toISOString(),
      durationMs,
      ...(peakRssBytes ? { peakRssBytes } : {}),
      worker: this.workerId,
    };
  }

  private async conclude(
    delivery: Delivery,
    envelope: TaskEnvelope,
    result: AttemptResult,
    attempt: AttemptRecord,
    outputKey: string | undefined,
    log: Logger,
    ran = false,
  ): Promise<void> {
    const cls = this.config.workerClass;
    const action = decide(result, envelope.history, {
      workerClass: cls,
      queue: this.consumedQueue,
      fallbackQueue: this.config.fallbackQueue,
      retry: this.config.retry,
    });
    const next = withAttempt(envelope, attempt);
    const answer = await this.execute(delivery, action, next, log);
    // What was passed on: a publish that failed left the task where it was (returned to the queue).
    const done: TaskAction['type'] = answer === 'not-passed-on' ? 'requeue' : action.type;
    // The attempt is recorded whatever became of the acknowledgement: an answer lost with the
    // connection is redelivered by the broker, and that copy finds the output (a duplicate).
    const acknowledged = answer === 'answered';
    if (ran) this.metrics.finished(cls, attempt.outcome, ACTION_LABEL[done], attempt.durationMs, attempt.peakRssBytes);
    else this.metrics.answered(cls, ACTION_LABEL[done]);
    const fields = {
      outcome: attempt.outcome,
      action: done,
      attempt: next.history.length,
      durationMs: attempt.durationMs,
      ...(attempt.peakRssBytes ? { peakRssBytes: attempt.peakRssBytes } : {}),
      ...(done === 'retry' && action.type === 'retry' ? { delayMs: action.delayMs } : {}),
      ...(done === 'escalate' && action.type === 'escalate' ? { queue: action.queue } : {}),
      ...(done === 'dead-letter' && action.type === 'dead-letter'
        ? { code: action.code, reason: action.reason }
        : attempt.reason
          ? { code: attempt.code, reason: attempt.reason }
          : {}),
      ...(acknowledged ? {} : { acknowledged: false }),
    };
    if (done === 'ack') log.info(attempt.outcome === 'duplicate' ? 'task already done' : 'task done', fields);
    else
      log.warn(
        `task ${done === 'dead-letter' ? 'dead-lettered' : done === 'escalate' ? 'escalated' : done === 'retry' ? 'retried' : 'requeued'}`,
        fields,
      );
    // A copy that finds the output of an attempt whose line was lost (a kill -9 before it was
    // written) records that the task completed, so calibration does not take it for a failure.
    if (this.config.statsFile && (ran || attempt.outcome === 'duplicate')) {
      appendStat(this.config.statsFile, {
        at: new Date().toISOString(),
        service: this.config.service,
        taskId: envelope.id,
        class: cls,
        outcome: attempt.outcome,
        action: done,
        ...(acknowledged ? {} : { acknowledged: false }),
        durationMs: attempt.durationMs,
        ...(attempt.peakRssBytes ? { peakRssBytes: attempt.peakRssBytes } : {}),
        timeoutMs: this.config.limits.timeoutMs,
        memoryBytes: this.config.limits.memoryBytes,
        attempt: next.history.length,
        ...(attempt.reason ? { reason: attempt.reason } : {}),
        ...(outputKey ? { outputKey } : {}),
        ...(result.kind === 'done' ? { outputSha256: result.sha256 } : {}),
        worker: this.workerId,
      });
    }
  }

  /**
   * Publishes first (confirmed), acknowledges after: the message is never in no queue. Says
   * whether the answer reached the broker, was lost with its connection (the broker redelivers
   * the message), or the task could not be passed on (returned to the queue).
   */
  private async execute(
    delivery: Delivery,
    action: TaskAction,
    next: TaskEnvelope,
    log: Logger,
  ): Promise<'answered' | 'connection-lost' | 'not-passed-on'> {
    const acked = (sent: boolean) => (sent ? 'answered' : 'connection-lost');
    const message = (extra: Record<string, string | number> = {}): QueueMessage => ({
      body: encodeEnvelope(next),
      headers: { ...summaryHeaders(next), ...extra },
      messageId: next.id,
    });
    try {
      switch (action.type) {
        case 'ack':
          return acked(delivery.ack());
        case 'requeue':
          return acked(delivery.requeue());
        case 'escalate':
          await this.queue.publish(action.queue, message());
          return acked(delivery.ack());
        case 'retry':
          await this.queue.publish(action.queue, message(), { delayMs: action.delayMs });
          return acked(delivery.ack());
        case 'dead-letter':
          await this.queue.deadLetter(message({ [HEADER.reason]: action.reason, [HEADER.code]: action.code }));
          return acked(delivery.ack());
      }
    } catch (err) {
      // Not confirmed: keep the original. If the connection is gone the broker has it already.
      log.warn('could not pass the task on; returning it to the queue', { action: action.type, err });
      delivery.requeue();
      return 'not-passed-on';
    }
  }

  private async deadLetterRaw(delivery: Delivery, code: WorkerErrorCode, detail: string): Promise<void> {
    const reason = deadLetterReason(code, detail);
    try {
      await this.queue.deadLetter({
        body: delivery.message.body,
        headers: { ...delivery.message.headers, [HEADER.reason]: reason, [HEADER.code]: code },
      });
      if (delivery.ack()) {
        this.metrics.answered(this.config.workerClass, 'dead_lettered');
        this.log.warn('message dead-lettered', { code, reason });
      }
    } catch (err) {
      this.log.warn('could not dead-letter a malformed message; returning it to the queue', { err });
      delivery.requeue();
    }
  }

  /**
   * Graceful stop (SIGTERM: a node being drained or reclaimed): stop taking tasks, let those
   * in flight finish within the grace period, return the rest to the queue, then leave.
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.draining = true;
    const inFlight = this.inFlight.size;
    this.log.info('stopping: no new tasks', { inFlight, graceMs: this.config.shutdownGraceMs });
    await this.queue.cancel();
    this.consuming = false;
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.config.shutdownGraceMs);
    });
    const settled = await Promise.race([Promise.allSettled([...this.inFlight]).then(() => 'done' as const), graceOver]);
    clearTimeout(timer);
    let interrupted = 0;
    if (settled === 'timeout') {
      interrupted = this.pool.busy;
      this.pool.interruptAll();
      await Promise.allSettled([...this.inFlight]);
    }
    await this.pool.close();
    await this.queue.close();
    await this.store.close();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.log.info('stopped', { finished: inFlight - interrupted, requeued: interrupted });
  }
}
