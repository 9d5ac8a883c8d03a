import type { FailingReceiver, Observation, RunningWorkerClass } from './types.js';

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

/** An alert receiver that does not take notifications: they wait (nothing is lost) and are retried. */
export function receiverFindings(failing: FailingReceiver): Observation[] {
  return [
    {
      check: 'notifier-failing',
      severity: 'warning',
      unit: failing.receiver,
      part: 'receiver',
      objects: [failing.receiver],
      message: `alert receiver ${failing.receiver} fails (${failing.attempts} attempts, ${failing.waiting} notifications waiting): ${failing.error}`,
      hint: "Check the receiver's URL (the environment variable its urlFrom names) and that it takes a JSON POST; its notifications are retried with backoff and sent once it answers.",
    },
  ];
}
