import type { WorkerClassName } from '../config/index.js';
import type { WorkerErrorCode } from '../errors/index.js';

/** What happened to one attempt of a task. */
export type AttemptOutcome =
  | 'done'
  | 'duplicate'
  | 'time-limit'
  | 'memory-limit'
  | 'too-big'
  | 'transient'
  | 'permanent'
  | 'crashed'
  | 'interrupted';

/** One attempt in a task's history, carried in the message body from queue to queue. */
export interface AttemptRecord {
  readonly class: WorkerClassName;
  readonly outcome: AttemptOutcome;
  readonly code?: WorkerErrorCode;
  readonly reason?: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly peakRssBytes?: number;
  /** `host:pid` of the worker that ran the attempt. */
  readonly worker: string;
}

/** A task as it travels through the queues: the producer's payload plus what happened so far. */
export interface TaskEnvelope {
  readonly id: string;
  readonly payload: unknown;
  readonly submittedAt?: string;
  readonly history: readonly AttemptRecord[];
}

export const TASK_ID = /^[A-Za-z0-9._:-]{1,200}$/;

export type ParsedEnvelope = { ok: true; envelope: TaskEnvelope } | { ok: false; reason: string };

/** Reads a message body; anything that is not `{"id": ..., "payload": ...}` is refused with a reason. */
export function parseEnvelope(body: Buffer | string): ParsedEnvelope {
  let data: unknown;
  try {
    data = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `the body is not JSON (${(err as Error).message})` };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return { ok: false, reason: 'the body is not a JSON object' };
  const { id, payload, submittedAt, history } = data as Record<string, unknown>;
  if (typeof id !== 'string' || !TASK_ID.test(id))
    return { ok: false, reason: 'id must be a string of 1-200 letters, digits, . _ : -' };
  if (!('payload' in data)) return { ok: false, reason: 'payload is missing' };
  if (history !== undefined && !Array.isArray(history)) return { ok: false, reason: 'history must be an array' };
  return {
    ok: true,
    envelope: {
      id,
      payload,
      ...(typeof submittedAt === 'string' ? { submittedAt } : {}),
      history: (history ?? []) as AttemptRecord[],
    },
  };
}

export function encodeEnvelope(envelope: TaskEnvelope): Buffer {
  return Buffer.from(JSON.stringify(envelope));
}

export function withAttempt(envelope: TaskEnvelope, attempt: AttemptRecord): TaskEnvelope {
  return { ...envelope, history: [...envelope.history, attempt] };
}

/** Tries of this task in one class that count against its retry policy. */
export function failedTries(history: readonly AttemptRecord[], workerClass: WorkerClassName): number {
  return history.filter((a) => a.class === workerClass && (a.outcome === 'transient' || a.outcome === 'crashed'))
    .length;
}

/** Headers an operator sees in the broker's UI without decoding the body. */
export const HEADER = {
  taskId: 'x-switchyard-task-id',
  attempts: 'x-switchyard-attempts',
  lastClass: 'x-switchyard-class',
  lastOutcome: 'x-switchyard-outcome',
  reason: 'x-switchyard-reason',
  code: 'x-switchyard-code',
} as const;

export function summaryHeaders(envelope: TaskEnvelope): Record<string, string | number> {
  const last = envelope.history[envelope.history.length - 1];
  return {
    [HEADER.taskId]: envelope.id,
    [HEADER.attempts]: envelope.history.length,
    ...(last ? { [HEADER.lastClass]: last.class, [HEADER.lastOutcome]: last.outcome } : {}),
  };
}
