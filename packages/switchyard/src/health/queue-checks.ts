import type { Fleet, Worker, WorkerClass } from '../spec/index.js';
import type { QueueFigures } from './queue-history.js';
import type { BrokerReading, Observation, RunningWorkerClass } from './types.js';

/** A class's oldest waiting task may wait this many times the class's task timeout before it is a finding. */
export const BACKLOG_AGE_TIMEOUTS = 10;
/** How long escalated tasks may wait for a fallback class at zero ready replicas to start. */
export const ESCALATION_GRACE_MS = 2 * 60_000;
/** Redeliveries of one class's queue within the window that make a kill loop. */
export const REDELIVERIES_IN_A_LOOP = 3;

/** `45s`, `3m 20s`, `2h 5m`: a span a person reads at once. */
export function span(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return s % 60 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${s / 60}m`;
  const m = Math.round(s / 60);
  return m % 60 ? `${Math.floor(m / 60)}h ${m % 60}m` : `${m / 60}h`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The oldest waiting task of a class may wait BACKLOG_AGE_TIMEOUTS times its `timeout` (the spec's field). */
export function backlogAgeLimitMs(workerClass: Pick<WorkerClass, 'timeoutMs'>): number {
  return BACKLOG_AGE_TIMEOUTS * workerClass.timeoutMs;
}

const classesOf = (w: Worker) => [w.normal, ...(w.fallback ? [w.fallback] : [])];

function backlogFindings(worker: Worker, wc: WorkerClass, q: QueueFigures | undefined): Observation[] {
  const limit = backlogAgeLimitMs(wc);
  if (!q || !(q.oldestWaitingMs > limit)) return [];
  return [
    {
      check: 'worker-backlog-age',
      severity: 'warning',
      unit: worker.name,
      part: wc.name,
      objects: [`queue/${q.queue}`],
      message: `${worker.name}/${wc.name}: the oldest of ${plural(q.ready, 'waiting task')} has waited ${span(q.oldestWaitingMs)}, past ${span(limit)} (${BACKLOG_AGE_TIMEOUTS} × the class's ${span(wc.timeoutMs)} timeout)`,
      hint: `The class does not keep up: look at its replicas (\`switchyard status -o wide\`, \`switchyard health ${worker.name}\`); if they run and are all busy, raise the class's \`replicas.max\` (the autoscaler stops there) or lower \`scaling.tasksPerReplica\`; if they are idle or stuck, read their logs.`,
    },
  ];
}

/** The command that lists what a dead-letter queue holds, each message with its reason header, without taking it. */
export function deadLettersCommand(queue: string): string {
  return `curl -s -X POST "$SWITCHYARD_RABBIT_MGMT_URL/api/queues/%2F/${encodeURIComponent(queue)}/get" -H 'content-type: application/json' -d '{"count":20,"ackmode":"ack_requeue_true","encoding":"auto"}'`;
}

function deadLetterFindings(worker: Worker, q: QueueFigures | undefined): Observation[] {
  if (!q || q.growth <= 0) return [];
  const held = q.ready + q.unacked;
  return [
    {
      check: 'worker-dead-letters',
      severity: 'warning',
      unit: worker.name,
      part: 'dead-letter',
      objects: [`queue/${q.queue}`],
      message: `${worker.name}: ${plural(q.growth, 'task')} dead-lettered in the last ${span(q.windowMs)} (${q.queue} holds ${held})`,
      hint: `Read why (each message's x-switchyard-reason header; SWY_WORKER_DELIVERY_LIMIT from the broker itself): \`${deadLettersCommand(q.queue)}\`. Fix the cause, then publish the tasks again or purge the queue.`,
    },
  ];
}

function escalationFindings(
  worker: Worker,
  fallback: WorkerClass | undefined,
  running: RunningWorkerClass | undefined,
  q: QueueFigures | undefined,
): Observation[] {
  if (!fallback || !q || q.ready === 0 || (running?.ready ?? 0) > 0) return [];
  if (!(q.oldestWaitingMs > ESCALATION_GRACE_MS)) return [];
  return [
    {
      check: 'worker-escalation-stuck',
      severity: 'critical',
      unit: worker.name,
      part: 'fallback',
      objects: [`queue/${q.queue}`, ...(running?.replicas.map((r) => r.name) ?? [])],
      message: `${worker.name}: ${plural(q.ready, 'escalated task')} ${q.ready === 1 ? 'has' : 'have'} waited ${span(q.oldestWaitingMs)} in ${q.queue} while the fallback class has no ready replica (${running?.ready ?? 0}/${running?.desired ?? 0})`,
      hint: `Nothing works the tasks that outgrew the normal class: look at the fallback class (\`switchyard status -o wide\`): replicas.max 0, no autoscaler (the broker's management API not configured), or replicas that cannot start (no node with room for its requests).`,
    },
  ];
}

function killFindings(worker: Worker, wc: WorkerClass, q: QueueFigures | undefined): Observation[] {
  if (!q || q.redeliveries < REDELIVERIES_IN_A_LOOP) return [];
  return [
    {
      check: 'worker-task-kills',
      severity: 'warning',
      unit: worker.name,
      part: wc.name,
      objects: [`queue/${q.queue}`],
      message: `${worker.name}/${wc.name}: tasks were taken back from dying workers ${plural(q.redeliveries, 'time')} in the last ${span(q.windowMs)}: its replicas are killed while they hold tasks`,
      hint: `A task kills the worker that runs it (memory beyond the replica's limit, a crash outside the task process) or replicas are stopped without draining; after the delivery limit the broker dead-letters the task (SWY_WORKER_DELIVERY_LIMIT). Look at the replicas' restarts and last logs (\`kubectl describe pod\`: OOMKilled; locally <data-dir>/logs/).`,
    },
  ];
}

/** The broker could not be read: the queue checks are blind, and the autoscalers read the same API. */
function unreachableFindings(broker: Extract<BrokerReading, { reachable: false }>, fleet: Fleet): Observation[] {
  const workers = fleet.units.filter((u): u is Worker => u.kind === 'Worker').map((w) => w.name);
  return [
    {
      check: 'broker-unreachable',
      severity: 'warning',
      unit: 'broker',
      part: 'management',
      objects: [broker.at],
      message: `the broker's management API at ${broker.at} cannot be read (${broker.error}): the queues of ${workers.join(', ')} are not watched`,
      hint: 'Check that RabbitMQ runs with its management plugin and that SWITCHYARD_RABBIT_MGMT_URL (with its user and password) reaches it from the server; the workers\u2019 autoscalers read the same API.',
    },
  ];
}

/** Every check of the workers' queues. */
export function queueFindings(
  fleet: Fleet,
  running: readonly RunningWorkerClass[],
  broker: BrokerReading | undefined,
): Observation[] {
  const workers = fleet.units.filter((u): u is Worker => u.kind === 'Worker');
  if (!broker || workers.length === 0) return [];
  if (!broker.reachable) return unreachableFindings(broker, fleet);
  const q = (name: string) => broker.queues.get(name);
  return workers.flatMap((w) => [
    ...classesOf(w).flatMap((wc) => [...backlogFindings(w, wc, q(wc.queue)), ...killFindings(w, wc, q(wc.queue))]),
    ...deadLetterFindings(w, q(w.queue.deadLetter)),
    ...escalationFindings(
      w,
      w.fallback,
      running.find((r) => r.worker === w.name && r.workerClass === 'fallback'),
      w.fallback ? q(w.fallback.queue) : undefined,
    ),
  ]);
}
