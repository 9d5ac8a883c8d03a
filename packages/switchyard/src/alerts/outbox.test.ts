import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AlertNotifier } from './notifier.js';
import { Outbox } from './outbox.js';
import type { Notification } from './types.js';

const note = (service: string): Notification => ({
  status: 'firing',
  environment: 'production',
  service,
  at: '2026-03-02T10:00:00.000Z',
  findings: [],
});

/** A receiver that is down until `up` is set, remembering what it took. */
function receiver() {
  const taken: string[] = [];
  const r = { up: false, attempts: 0, taken };
  const notifier: AlertNotifier = {
    receiver: 'ops',
    send: async (n) => {
      r.attempts += 1;
      if (!r.up) throw new Error('connection refused');
      taken.push(n.service);
    },
  };
  return { r, notifier };
}

describe('an outbox', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('keeps what a receiver that is down has not taken, retries with a doubling bounded delay, and sends all in order once it is back', async () => {
    const { r, notifier } = receiver();
    const outbox = new Outbox(notifier, { initialDelayMs: 100, maxDelayMs: 400 });
    outbox.push(note('api'));
    outbox.push(note('web'));
    await vi.advanceTimersByTimeAsync(0);
    expect(r.attempts).toBe(1);
    expect(outbox.failing()).toMatchObject({ receiver: 'ops', attempts: 1, waiting: 2, error: 'connection refused' });
    await vi.advanceTimersByTimeAsync(100); // 2nd attempt
    await vi.advanceTimersByTimeAsync(200); // 3rd
    await vi.advanceTimersByTimeAsync(400); // 4th
    await vi.advanceTimersByTimeAsync(400); // 5th: the delay stays at its bound
    expect(r.attempts).toBe(5);
    r.up = true;
    await vi.advanceTimersByTimeAsync(400);
    expect(r.taken).toEqual(['api', 'web']);
    expect(outbox.failing()).toBeUndefined();
    expect(outbox.waiting).toBe(0);
  });

  it('never blocks whoever pushes, and drops the oldest past its capacity, saying so', () => {
    const { notifier } = receiver();
    const dropped: string[] = [];
    const outbox = new Outbox(notifier, { capacity: 2, onDropped: (_r, n) => dropped.push(n.service) });
    for (const s of ['a', 'b', 'c']) outbox.push(note(s));
    expect(outbox.waiting).toBe(2);
    expect(dropped).toEqual(['a']);
    outbox.close();
  });

  it('hands back the id of each notification it delivers or drops', async () => {
    const { r, notifier } = receiver();
    const taken: (string | undefined)[] = [];
    const dropped: (string | undefined)[] = [];
    const outbox = new Outbox(notifier, {
      capacity: 2,
      initialDelayMs: 100,
      onTaken: (_n, id) => taken.push(id),
      onDropped: (_r, _n, id) => dropped.push(id),
    });
    outbox.push(note('a'), '1');
    outbox.push(note('b'), '2');
    outbox.push(note('c'));
    await vi.advanceTimersByTimeAsync(0);
    r.up = true;
    await vi.advanceTimersByTimeAsync(100);
    expect([taken, dropped, r.taken]).toEqual([['2', undefined], ['1'], ['b', 'c']]);
  });
});
