import { describe, expect, it } from 'vitest';
import { QueueHistory, type QueueCount } from './queue-history.js';

const T0 = Date.parse('2026-03-02T10:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const count = (change: Partial<QueueCount> = {}): QueueCount => ({
  queue: 'encode',
  ready: 0,
  unacked: 0,
  delivered: 0,
  redelivered: 0,
  ...change,
});

describe('QueueHistory', () => {
  it('knows nothing of a queue never read, and forgets one the broker no longer has', () => {
    const h = new QueueHistory();
    expect(h.figures('encode', at(0))).toBeUndefined();
    h.record([count()], at(0));
    expect(h.figures('encode', at(0))).toMatchObject({ ready: 0, oldestWaitingMs: 0, growth: 0 });
    h.record([], at(10));
    expect(h.figures('encode', at(10))).toBeUndefined();
    expect(h.queues()).toEqual([]);
  });

  it('ages a backlog nobody takes from the reading that first saw it', () => {
    const h = new QueueHistory();
    h.record([count()], at(0));
    h.record([count({ ready: 5 })], at(10));
    h.record([count({ ready: 5 })], at(20));
    expect(h.figures('encode', at(300))?.oldestWaitingMs).toBe(290_000);
  });

  it('follows the head of a queue being worked: the oldest task is the first not yet taken', () => {
    const h = new QueueHistory();
    h.record([count({ ready: 3 })], at(0)); // tasks 1-3
    h.record([count({ ready: 5 })], at(60)); // tasks 4-5 arrive
    h.record([count({ ready: 2, unacked: 1, delivered: 3 })], at(120)); // 1-3 taken: task 4 waits since 60 s
    expect(h.figures('encode', at(130))?.oldestWaitingMs).toBe(70_000);
    h.record([count({ ready: 0, delivered: 5 })], at(140));
    expect(h.figures('encode', at(150))).toMatchObject({ ready: 0, oldestWaitingMs: 0 });
  });

  it('does not count a redelivery as a task taken', () => {
    const h = new QueueHistory();
    h.record([count({ ready: 2 })], at(0));
    h.record([count({ ready: 2, delivered: 4, redelivered: 4 })], at(30));
    expect(h.figures('encode', at(60))?.oldestWaitingMs).toBe(60_000);
  });

  it('tells growth and redeliveries within the window, against what the queue held when it began', () => {
    const h = new QueueHistory(60_000);
    h.record([count({ ready: 4 })], at(0));
    h.record([count({ ready: 10, delivered: 10, redelivered: 2 })], at(30));
    expect(h.figures('encode', at(40))).toMatchObject({ growth: 6, redeliveries: 2, windowMs: 40_000 });
    h.record([count({ ready: 12, delivered: 12, redelivered: 3 })], at(100));
    // The window began at 40 s: the queue then held what the 30 s reading saw.
    expect(h.figures('encode', at(100))).toMatchObject({ growth: 2, redeliveries: 1, windowMs: 60_000 });
    expect(h.figures('encode', at(200))).toMatchObject({ growth: 0, redeliveries: 0 });
  });

  it('sees a purged queue shrink', () => {
    const h = new QueueHistory();
    h.record([count()], at(0));
    h.record([count({ ready: 30 })], at(10));
    h.record([count({ ready: 0 })], at(20));
    expect(h.figures('encode', at(20))).toMatchObject({ growth: 0, ready: 0 });
  });

  it('starts afresh when the counters go back (the broker restarted, the queue was declared again)', () => {
    const h = new QueueHistory();
    h.record([count({ ready: 2, delivered: 50 })], at(0));
    h.record([count({ ready: 2, delivered: 3 })], at(100));
    expect(h.figures('encode', at(110))).toMatchObject({ oldestWaitingMs: 10_000, growth: 0, windowMs: 10_000 });
  });

  it('keeps one reading for a queue that does not change, however long it waits', () => {
    const h = new QueueHistory(60_000);
    for (let s = 0; s <= 3600; s += 10) h.record([count({ ready: 1 })], at(s));
    expect(h.figures('encode', at(3600))?.oldestWaitingMs).toBe(3_600_000);
    // Tasks arriving behind it keep readings (for the window), never the head's age.
    for (let s = 3610, ready = 2; s <= 7200; s += 10, ready++) h.record([count({ ready })], at(s));
    expect(h.figures('encode', at(7200))).toMatchObject({ oldestWaitingMs: 7_200_000, ready: 361, growth: 7 });
  });
});
