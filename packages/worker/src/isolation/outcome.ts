import { z } from 'zod';
import { isWorkerError, TooBigForClass, workerCatalogue } from '../errors/index.js';
import { ObjectNotFound, type SpooledFile } from '../storage/index.js';
import type { AttemptResult } from '../task/index.js';
import { formatDuration, formatMemory } from '../units/index.js';
import { heapLimitMb, type KillReason, type RunLimits } from './limits.js';
import type { HandlerFailure } from './protocol.js';

/**
 * How an attempt ended, decided in one place for both sides of a task process: the task
 * process classifies what its handler threw, the worker what became of the process.
 * Pure: every input is passed in.
 */

/** An attempt as the pool reports it: the output when done, else why not. */
export type PoolOutcome =
  { readonly kind: 'done'; readonly output: SpooledFile | Buffer } | Exclude<AttemptResult, { kind: 'done' }>;

/** How a handler's error maps onto the escalation ladder (in the task process). */
export function classifyError(err: unknown): HandlerFailure {
  if (err instanceof TooBigForClass) return { kind: 'too-big', code: err.code, reason: err.message };
  if (err instanceof z.ZodError || (err as Error | undefined)?.name === 'ZodError')
    return {
      kind: 'permanent',
      code: 'SWY_WORKER_PAYLOAD_INVALID',
      reason: z.prettifyError(err as z.ZodError).replace(/\n/g, '; '),
    };
  if (isWorkerError(err)) {
    const kind = workerCatalogue[err.code].kind;
    if (kind === 'input') return { kind: 'permanent', code: err.code, reason: err.message };
    if (kind === 'limit') return { kind: 'too-big', code: err.code, reason: err.message };
    return { kind: 'transient', code: err.code, reason: err.message };
  }
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return { kind: 'transient', code: 'SWY_WORKER_HANDLER_FAILED', reason: message };
}

/**
 * A handler that failed while its input could not be read failed because of storage (the
 * task process only saw its input stream cut): a missing object can never succeed, anything
 * else is retried. A limit or a permanent failure the handler declared stands.
 */
export function withInputError(failure: HandlerFailure, inputError: unknown): PoolOutcome {
  if (inputError === undefined || failure.kind === 'too-big' || failure.kind === 'permanent') return failure;
  if (inputError instanceof ObjectNotFound)
    return { kind: 'permanent', code: 'SWY_WORKER_INPUT_NOT_FOUND', reason: `input ${inputError.key} does not exist` };
  return { kind: 'transient', code: 'SWY_WORKER_STORAGE_UNAVAILABLE', reason: (inputError as Error).message };
}

/** The task process said it was done but its output never arrived whole. */
export function outputNotReceived(err: unknown): PoolOutcome {
  return {
    kind: 'transient',
    code: 'SWY_WORKER_HANDLER_FAILED',
    reason: `the output could not be received: ${(err as Error).message}`,
  };
}

/** How a task process ended while it ran a task. */
export interface ProcessExit {
  readonly killedFor: KillReason | undefined;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The end of what the process wrote on stderr: V8 names a heap overflow there. */
  readonly stderrTail: string;
  readonly ranMs: number;
  readonly peakRssBytes: number | undefined;
}

/** The outcome of a task whose process exited before answering. */
export function exitOutcome(exit: ProcessExit, limits: RunLimits): PoolOutcome {
  const cls = limits.workerClass;
  switch (exit.killedFor) {
    case 'time':
      return {
        kind: 'time-limit',
        code: 'SWY_WORKER_TIME_LIMIT',
        reason: `ran ${formatDuration(exit.ranMs)}, past the ${cls} class's ${formatDuration(limits.timeoutMs)}`,
      };
    case 'memory':
      return {
        kind: 'memory-limit',
        code: 'SWY_WORKER_MEMORY_LIMIT',
        reason: `reached ${formatMemory(exit.peakRssBytes ?? 0)} resident, past the ${cls} class's ${formatMemory(limits.memoryBytes)}`,
      };
    case 'interrupt':
    case 'close':
      return { kind: 'interrupted', reason: 'the worker is shutting down' };
    default:
      break;
  }
  if (/heap out of memory|Reached heap limit/i.test(exit.stderrTail)) {
    return {
      kind: 'memory-limit',
      code: 'SWY_WORKER_MEMORY_LIMIT',
      reason: `the JavaScript heap outgrew --max-old-space-size=${heapLimitMb(limits.memoryBytes)}MB in the ${cls} class`,
    };
  }
  if (exit.signal === 'SIGKILL') {
    return {
      kind: 'memory-limit',
      code: 'SWY_WORKER_MEMORY_LIMIT',
      reason: `the task process was killed by SIGKILL from outside the worker (the kernel's out-of-memory killer?) in the ${cls} class`,
    };
  }
  return {
    kind: 'crashed',
    code: 'SWY_WORKER_TASK_CRASHED',
    reason: `the task process exited with ${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`}`,
  };
}
