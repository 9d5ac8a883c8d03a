import type * as PromClient from 'prom-client';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { WorkerClassName } from '../config/index.js';
import type { AttemptOutcome } from '../task/index.js';
import { lazy } from '../lazy.js';

const prom = lazy<typeof PromClient>('prom-client');

export type ActionLabel = 'done' | 'failed' | 'retried' | 'escalated' | 'dead_lettered' | 'requeued';

/** The worker's Prometheus metrics, all labelled by class (normal | fallback). */
export class WorkerMetrics {
  readonly registry: Registry;
  private readonly tasks: Counter<'class' | 'result'>;
  private readonly attempts: Counter<'class' | 'outcome'>;
  private readonly duration: Histogram<'class' | 'outcome'>;
  private readonly peakMemory: Histogram<'class'>;
  private readonly inFlight: Gauge<'class'>;
  private readonly progress: Gauge<'class' | 'task_id'>;
  private readonly brokerUp: Gauge;
  /** Tasks with a progress series: most tasks never report progress and have nothing to remove. */
  private readonly withProgress = new Set<string>();

  constructor(labels: { service: string; version: string }) {
    const { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } = prom();
    this.registry = new Registry();
    this.registry.setDefaultLabels({ service: labels.service, version: labels.version });
    collectDefaultMetrics({ register: this.registry });
    // prom-client sums active handles, requests and resources into gauges with a counter's
    // suffix, which `promtool check metrics` refuses; the series by type stay, and sum() gives the totals.
    for (const metric of this.registry.getMetricsAsArray())
      if (!(metric instanceof Counter) && metric.name.endsWith('_total')) this.registry.removeSingleMetric(metric.name);
    this.tasks = new Counter({
      name: 'switchyard_worker_tasks_total',
      help: 'Tasks answered, by what became of them: done, failed (any unsuccessful attempt), retried, escalated, dead_lettered, requeued',
      labelNames: ['class', 'result'],
      registers: [this.registry],
    });
    this.attempts = new Counter({
      name: 'switchyard_worker_attempts_total',
      help: 'Task attempts by outcome',
      labelNames: ['class', 'outcome'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'switchyard_worker_task_duration_seconds',
      help: 'Time a task attempt spent in its task process',
      labelNames: ['class', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600],
      registers: [this.registry],
    });
    this.peakMemory = new Histogram({
      name: 'switchyard_worker_task_peak_memory_bytes',
      help: 'Peak resident memory of the task process during an attempt',
      labelNames: ['class'],
      buckets: [32, 64, 128, 256, 512, 1024, 2048, 4096, 8192].map((mi) => mi * 2 ** 20),
      registers: [this.registry],
    });
    this.inFlight = new Gauge({
      name: 'switchyard_worker_tasks_in_flight',
      help: 'Tasks being worked on now',
      labelNames: ['class'],
      registers: [this.registry],
    });
    this.progress = new Gauge({
      name: 'switchyard_worker_task_progress_ratio',
      help: 'Progress the handler last reported, per task in flight (removed when it ends)',
      labelNames: ['class', 'task_id'],
      registers: [this.registry],
    });
    this.brokerUp = new Gauge({
      name: 'switchyard_worker_broker_connected',
      help: '1 while connected to the broker',
      registers: [this.registry],
    });
  }

  started(cls: WorkerClassName): void {
    this.inFlight.inc({ class: cls });
  }

  finished(
    cls: WorkerClassName,
    outcome: AttemptOutcome,
    result: ActionLabel,
    durationMs: number,
    peakRssBytes: number | undefined,
  ): void {
    this.inFlight.dec({ class: cls });
    this.attempts.inc({ class: cls, outcome });
    this.tasks.inc({ class: cls, result });
    if (outcome !== 'done' && outcome !== 'duplicate' && outcome !== 'interrupted')
      this.tasks.inc({ class: cls, result: 'failed' });
    this.duration.observe({ class: cls, outcome }, durationMs / 1000);
    if (peakRssBytes) this.peakMemory.observe({ class: cls }, peakRssBytes);
  }

  /** A message answered without an attempt (malformed, invalid payload, output already there). */
  answered(cls: WorkerClassName, result: ActionLabel): void {
    this.tasks.inc({ class: cls, result });
  }

  reportProgress(cls: WorkerClassName, taskId: string, ratio: number): void {
    this.withProgress.add(taskId);
    this.progress.set({ class: cls, task_id: taskId }, ratio);
  }

  clearProgress(cls: WorkerClassName, taskId: string): void {
    if (this.withProgress.delete(taskId)) this.progress.remove({ class: cls, task_id: taskId });
  }

  connected(up: boolean): void {
    this.brokerUp.set(up ? 1 : 0);
  }
}
