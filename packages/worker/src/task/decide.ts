import type { RetryPolicy, WorkerClassName } from '../config/index.js';
import { workerCatalogue, type WorkerErrorCode } from '../errors/index.js';
import { backoffDelayMs } from '../retry/backoff.js';
import { failedTries, type AttemptOutcome, type AttemptRecord } from './envelope.js';

/** How one attempt ended, as the isolation layer reports it. */
export type AttemptResult =
  | { readonly kind: 'done'; readonly written: boolean; readonly sha256: string; readonly bytes: number }
  | {
      readonly kind: 'time-limit' | 'memory-limit' | 'too-big' | 'permanent' | 'transient' | 'crashed';
      readonly code: WorkerErrorCode;
      readonly reason: string;
    }
  | { readonly kind: 'interrupted'; readonly reason: string };

/** What the worker does with the message after an attempt. Plain data: tests assert it. */
export type TaskAction =
  | { readonly type: 'ack' }
  | { readonly type: 'escalate'; readonly queue: string }
  | { readonly type: 'retry'; readonly queue: string; readonly delayMs: number; readonly retry: number }
  | { readonly type: 'dead-letter'; readonly code: WorkerErrorCode; readonly reason: string }
  | { readonly type: 'requeue' };

export interface DecideContext {
  readonly workerClass: WorkerClassName;
  readonly queue: string;
  readonly fallbackQueue: string;
  readonly retry: RetryPolicy;
  readonly random?: () => number;
}

export function outcomeOf(result: AttemptResult): AttemptOutcome {
  if (result.kind === 'done') return result.written ? 'done' : 'duplicate';
  return result.kind;
}

/** `SWY_WORKER_TIME_LIMIT: the task ran 2.1s, past the normal class's 2s`. */
export function deadLetterReason(code: WorkerErrorCode, detail: string): string {
  return `${code}: ${workerCatalogue[code].message}: ${detail}`;
}

/**
 * The escalation ladder. A limit (time, memory, declared too big) in the normal class goes to
 * the fallback class; in the fallback class, or with no fallback class, it is dead-lettered.
 * Transient failures are retried with backoff in the same class until the policy's attempts
 * are spent; permanent ones are dead-lettered at once. `history` holds the earlier attempts.
 */
export function decide(result: AttemptResult, history: readonly AttemptRecord[], ctx: DecideContext): TaskAction {
  switch (result.kind) {
    case 'done':
      return { type: 'ack' };
    case 'interrupted':
      return { type: 'requeue' };
    case 'time-limit':
    case 'memory-limit':
    case 'too-big':
      if (ctx.workerClass === 'normal' && ctx.fallbackQueue) return { type: 'escalate', queue: ctx.fallbackQueue };
      return {
        type: 'dead-letter',
        code: result.code,
        reason: deadLetterReason(
          result.code,
          `${result.reason} (${ctx.workerClass === 'fallback' ? 'in the fallback class' : 'and the worker has no fallback class'})`,
        ),
      };
    case 'permanent':
      return { type: 'dead-letter', code: result.code, reason: deadLetterReason(result.code, result.reason) };
    case 'transient':
    case 'crashed': {
      const tries = failedTries(history, ctx.workerClass) + 1;
      if (tries >= ctx.retry.attempts) {
        return {
          type: 'dead-letter',
          code: 'SWY_WORKER_RETRIES_EXHAUSTED',
          reason: deadLetterReason(
            'SWY_WORKER_RETRIES_EXHAUSTED',
            `${tries} of ${ctx.retry.attempts} attempts failed in the ${ctx.workerClass} class; last: ${result.code}: ${result.reason}`,
          ),
        };
      }
      return { type: 'retry', queue: ctx.queue, retry: tries, delayMs: backoffDelayMs(tries, ctx.retry, ctx.random) };
    }
  }
}
