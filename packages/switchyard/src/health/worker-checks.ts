import type { Observation, RunningWorkerClass } from './types.js';

/** A class of a worker below the replicas its autoscaler wants ready. */
export function workerFindings(running: RunningWorkerClass): Observation[] {
  if (running.ready >= running.desired) return [];
  const none = running.ready === 0;
  return [
    {
      check: 'worker-replicas',
      severity: none ? 'critical' : 'warning',
      unit: running.worker,
      part: running.workerClass,
      objects: running.replicas.filter((r) => r.state !== 'ready').map((r) => r.name),
      message: none
        ? `${running.worker}/${running.workerClass} has no ready replica (0/${running.desired}): its queue is not worked`
        : `${running.worker}/${running.workerClass} runs ${running.ready}/${running.desired} ready replicas`,
      hint: 'Look at the replicas that are not ready (`switchyard status -o wide`): a crash at start, the broker out of reach, or no room to run them.',
    },
  ];
}
