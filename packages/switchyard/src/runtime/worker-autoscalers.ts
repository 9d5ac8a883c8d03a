import { QueueAutoscaler, type ScaleTarget } from '@switchyard/worker';
import type { Worker, WorkerClass } from '../spec/index.js';
import type { WorkerSettings } from './port.js';

/**
 * One queue autoscaler per class of each worker, both runtimes alike: the worker SDK's
 * controller reads the class's queue depth and drives `target` (local processes, or a
 * Deployment's scale) within the class's bounds. None without a depth source.
 */
export function workerAutoscalers(
  workers: readonly Worker[],
  settings: WorkerSettings | undefined,
  target: (worker: Worker, workerClass: WorkerClass) => ScaleTarget,
): QueueAutoscaler[] {
  const depth = settings?.depth;
  if (!depth) return [];
  return workers.flatMap((worker) =>
    [worker.normal, ...(worker.fallback ? [worker.fallback] : [])].map(
      (workerClass) =>
        new QueueAutoscaler({
          queue: workerClass.queue,
          source: depth,
          target: target(worker, workerClass),
          intervalMs: settings.autoscaleIntervalMs ?? 2000,
          policy: {
            minReplicas: workerClass.minReplicas,
            maxReplicas: workerClass.maxReplicas,
            tasksPerReplica: worker.scaling.tasksPerReplica,
            prefetch: worker.queue.prefetch,
            maxStepUp: 4,
            maxStepDown: 2,
            cooldownMs: worker.scaling.cooldownMs,
          },
        }),
    ),
  );
}
