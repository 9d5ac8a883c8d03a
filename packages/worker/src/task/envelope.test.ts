import { describe, expect, it } from 'vitest';
import { describeDeadLetter } from './dead-letter.js';
import {
  encodeEnvelope,
  failedTries,
  parseEnvelope,
  summaryHeaders,
  withAttempt,
  type AttemptRecord,
  type TaskEnvelope,
} from './envelope.js';

const attempt = (outcome: AttemptRecord['outcome'], cls: AttemptRecord['class'] = 'normal'): AttemptRecord => ({
  class: cls,
  outcome,
  code: 'SWY_WORKER_TIME_LIMIT',
  reason: 'ran 21s, past 20s',
  startedAt: '2026-11-23T10:00:00.000Z',
  durationMs: 21_000,
  peakRssBytes: 100,
  worker: 'node-1:42',
});

describe('task envelope', () => {
  it('round-trips through JSON with its history', () => {
    const envelope: TaskEnvelope = withAttempt(
      { id: 'clip-1', payload: { width: 1920 }, submittedAt: '2026-11-23T10:00:00.000Z', history: [] },
      attempt('time-limit'),
    );
    const parsed = parseEnvelope(encodeEnvelope(envelope));
    expect(parsed).toEqual({ ok: true, envelope });
  });

  it.each([
    ['not json', 'the body is not JSON'],
    ['[1,2]', 'the body is not a JSON object'],
    ['{"payload":{}}', 'id must be'],
    ['{"id":"a b","payload":{}}', 'id must be'],
    ['{"id":"a"}', 'payload is missing'],
    ['{"id":"a","payload":1,"history":{}}', 'history must be an array'],
  ])('refuses %s with a reason', (body, reason) => {
    const parsed = parseEnvelope(body);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toContain(reason);
  });

  it('counts only transient failures and crashes of the same class against the retry policy', () => {
    const history = [attempt('transient'), attempt('crashed'), attempt('time-limit'), attempt('transient', 'fallback')];
    expect(failedTries(history, 'normal')).toBe(2);
    expect(failedTries(history, 'fallback')).toBe(1);
  });

  it('summarises the last attempt in headers an operator can read', () => {
    const envelope = withAttempt({ id: 'clip-1', payload: {}, history: [] }, attempt('memory-limit'));
    expect(summaryHeaders(envelope)).toEqual({
      'x-switchyard-task-id': 'clip-1',
      'x-switchyard-attempts': 1,
      'x-switchyard-class': 'normal',
      'x-switchyard-outcome': 'memory-limit',
    });
  });
});

describe('describeDeadLetter', () => {
  const body = encodeEnvelope(
    withAttempt({ id: 'clip-9', payload: {}, history: [] }, attempt('time-limit', 'fallback')),
  );

  it('reads the SDK reason header', () => {
    const info = describeDeadLetter(
      { 'x-switchyard-reason': 'SWY_WORKER_TIME_LIMIT: …', 'x-switchyard-code': 'SWY_WORKER_TIME_LIMIT' },
      body,
    );
    expect(info).toMatchObject({ taskId: 'clip-9', code: 'SWY_WORKER_TIME_LIMIT', reason: 'SWY_WORKER_TIME_LIMIT: …' });
    expect(info.history).toHaveLength(1);
  });

  it('explains a message the broker dead-lettered after its delivery limit', () => {
    const info = describeDeadLetter(
      {
        'x-death': [{ reason: 'delivery_limit', queue: 'encode', count: 1 }],
        'x-first-death-reason': 'delivery_limit',
      },
      body,
    );
    expect(info.code).toBe('SWY_WORKER_DELIVERY_LIMIT');
    expect(info.reason).toMatch(/^SWY_WORKER_DELIVERY_LIMIT: .*\(queue encode\)$/);
  });

  it('keeps a malformed body and still names the reason', () => {
    expect(
      describeDeadLetter(
        { 'x-switchyard-reason': 'SWY_WORKER_ENVELOPE_INVALID: x', 'x-switchyard-code': 'SWY_WORKER_ENVELOPE_INVALID' },
        'garbage',
      ),
    ).toMatchObject({
      taskId: undefined,
      code: 'SWY_WORKER_ENVELOPE_INVALID',
      history: [],
    });
  });
});
