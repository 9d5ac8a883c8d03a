import { workerCatalogue, type WorkerErrorCode } from '../errors/index.js';
import { HEADER, parseEnvelope, type AttemptRecord } from './envelope.js';

export interface DeadLetterInfo {
  readonly taskId: string | undefined;
  readonly code: WorkerErrorCode | undefined;
  readonly reason: string;
  readonly history: readonly AttemptRecord[];
}

type Headers = Readonly<Record<string, unknown>>;

/**
 * Why a message is in the dead-letter queue, whoever put it there: the SDK (its reason
 * header) or the broker itself (its x-death header, e.g. a delivery limit reached because
 * the task kept killing the worker that ran it).
 */
export function describeDeadLetter(headers: Headers, body: Buffer | string): DeadLetterInfo {
  const parsed = parseEnvelope(body);
  const taskId = parsed.ok
    ? parsed.envelope.id
    : typeof headers[HEADER.taskId] === 'string'
      ? (headers[HEADER.taskId] as string)
      : undefined;
  const history = parsed.ok ? parsed.envelope.history : [];
  const reason = headers[HEADER.reason];
  const code = headers[HEADER.code];
  if (typeof reason === 'string') {
    return {
      taskId,
      code: typeof code === 'string' && code in workerCatalogue ? (code as WorkerErrorCode) : undefined,
      reason,
      history,
    };
  }
  const deaths = Array.isArray(headers['x-death']) ? (headers['x-death'] as Array<Record<string, unknown>>) : [];
  const brokerReason = deaths[0]?.reason ?? headers['x-first-death-reason'];
  if (brokerReason === 'delivery_limit') {
    return {
      taskId,
      code: 'SWY_WORKER_DELIVERY_LIMIT',
      reason: `SWY_WORKER_DELIVERY_LIMIT: ${workerCatalogue.SWY_WORKER_DELIVERY_LIMIT.message} (queue ${String(deaths[0]?.queue ?? 'unknown')})`,
      history,
    };
  }
  return {
    taskId,
    code: undefined,
    reason: `dead-lettered by the broker: ${String(brokerReason ?? 'unknown reason')}`,
    history,
  };
}
