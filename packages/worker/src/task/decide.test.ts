import { describe, expect, it } from 'vitest';
import { decide, type AttemptResult, type DecideContext } from './decide.js';
import type { AttemptRecord } from './envelope.js';

const retry = { attempts: 3, initialDelayMs: 1_000, maxDelayMs: 8_000 };
const normal: DecideContext = {
  workerClass: 'normal',
  queue: 'encode',
  fallbackQueue: 'encode.fallback',
  retry,
  random: () => 0.5,
};
const fallback: DecideContext = { ...normal, workerClass: 'fallback', queue: 'encode.fallback' };
const noFallback: DecideContext = { ...normal, fallbackQueue: '' };

const limit = (kind: 'time-limit' | 'memory-limit' | 'too-big'): AttemptResult => ({
  kind,
  code:
    kind === 'time-limit'
      ? 'SWY_WORKER_TIME_LIMIT'
      : kind === 'memory-limit'
        ? 'SWY_WORKER_MEMORY_LIMIT'
        : 'SWY_WORKER_TOO_BIG',
  reason: 'too much',
});
const transient: AttemptResult = { kind: 'transient', code: 'SWY_WORKER_HANDLER_FAILED', reason: 'Error: ECONNRESET' };
const failed = (cls: 'normal' | 'fallback', outcome: AttemptRecord['outcome'] = 'transient'): AttemptRecord => ({
  class: cls,
  outcome,
  startedAt: '2026-01-01T00:00:00Z',
  durationMs: 5,
  worker: 'h:1',
});

describe('decide', () => {
  it('acknowledges a done or duplicate task', () => {
    expect(decide({ kind: 'done', written: true, sha256: 'a', bytes: 1 }, [], normal)).toEqual({ type: 'ack' });
    expect(decide({ kind: 'done', written: false, sha256: 'a', bytes: 1 }, [], fallback)).toEqual({ type: 'ack' });
  });

  it.each(['time-limit', 'memory-limit', 'too-big'] as const)(
    'escalates a %s in the normal class to the fallback queue',
    (kind) => {
      expect(decide(limit(kind), [], normal)).toEqual({ type: 'escalate', queue: 'encode.fallback' });
    },
  );

  it.each(['time-limit', 'memory-limit', 'too-big'] as const)(
    'dead-letters a %s in the fallback class, with its code and reason',
    (kind) => {
      const action = decide(limit(kind), [failed('normal', kind)], fallback);
      expect(action.type).toBe('dead-letter');
      if (action.type !== 'dead-letter') return;
      expect(action.code).toBe(limit(kind).kind === 'time-limit' ? 'SWY_WORKER_TIME_LIMIT' : action.code);
      expect(action.reason).toMatch(new RegExp(`^${action.code}: .*too much \\(in the fallback class\\)$`));
    },
  );

  it('dead-letters a limit when the worker has no fallback class', () => {
    const action = decide(limit('time-limit'), [], noFallback);
    expect(action).toMatchObject({ type: 'dead-letter', code: 'SWY_WORKER_TIME_LIMIT' });
    expect(action.type === 'dead-letter' && action.reason).toMatch(/no fallback class/);
  });

  it('dead-letters a permanent failure at once, whatever the retries left', () => {
    expect(
      decide({ kind: 'permanent', code: 'SWY_WORKER_PAYLOAD_INVALID', reason: 'width: expected number' }, [], normal),
    ).toEqual({
      type: 'dead-letter',
      code: 'SWY_WORKER_PAYLOAD_INVALID',
      reason: "SWY_WORKER_PAYLOAD_INVALID: The task payload does not match the worker's schema: width: expected number",
    });
  });

  it('retries a transient failure in its own queue with growing delays, then dead-letters it', () => {
    const first = decide(transient, [], normal);
    expect(first).toMatchObject({ type: 'retry', queue: 'encode', retry: 1 });
    const second = decide(transient, [failed('normal')], normal);
    expect(second).toMatchObject({ type: 'retry', queue: 'encode', retry: 2 });
    expect(second.type === 'retry' && first.type === 'retry' && second.delayMs > first.delayMs).toBe(true);
    const last = decide(transient, [failed('normal'), failed('normal', 'crashed')], normal);
    expect(last).toMatchObject({ type: 'dead-letter', code: 'SWY_WORKER_RETRIES_EXHAUSTED' });
    expect(last.type === 'dead-letter' && last.reason).toMatch(
      /3 of 3 attempts failed in the normal class; last: SWY_WORKER_HANDLER_FAILED: Error: ECONNRESET/,
    );
  });

  it('counts retries per class: an escalated task gets its own attempts in the fallback class', () => {
    const history = [failed('normal'), failed('normal'), failed('normal', 'time-limit')];
    expect(decide(transient, history, fallback)).toMatchObject({ type: 'retry', queue: 'encode.fallback', retry: 1 });
  });

  it('returns an interrupted task to the queue', () => {
    expect(decide({ kind: 'interrupted', reason: 'shutting down' }, [], normal)).toEqual({ type: 'requeue' });
  });
});
