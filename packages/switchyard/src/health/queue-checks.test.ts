import { describe, expect, it } from 'vitest';
import { baseTexts, deleteIn, fleetOf, setIn } from '../../test/support/config.js';
import { observe } from './evaluate.js';
import { backlogAgeLimitMs, span } from './queue-checks.js';
import type { QueueFigures } from './queue-history.js';
import type { BrokerReading, HealthInput, RunningWorkerClass } from './types.js';

const NOW = new Date('2026-03-02T10:00:00Z');
const fleet = fleetOf(baseTexts(), 'production');
const MIN = 60_000;

const figures = (queue: string, change: Partial<QueueFigures> = {}): QueueFigures => ({
  queue,
  ready: 0,
  unacked: 0,
  oldestWaitingMs: 0,
  growth: 0,
  redeliveries: 0,
  windowMs: 15 * MIN,
  ...change,
});

function broker(changes: Record<string, Partial<QueueFigures>> = {}): BrokerReading {
  const names = ['encode', 'encode.fallback', 'encode.dead'];
  return { reachable: true, queues: new Map(names.map((q) => [q, figures(q, changes[q])])) };
}

function workers(fallback: Partial<RunningWorkerClass> = {}): RunningWorkerClass[] {
  return [
    { worker: 'encoder', workerClass: 'normal', desired: 2, ready: 2, replicas: [] },
    { worker: 'encoder', workerClass: 'fallback', desired: 0, ready: 0, replicas: [], ...fallback },
  ];
}

function input(reading: BrokerReading | undefined, running = workers(), on = fleet): HealthInput {
  return { fleet: on, services: [], workers: running, releases: [], ...(reading ? { broker: reading } : {}) };
}

const found = (i: HealthInput) => observe(i, NOW);

describe('queue checks', () => {
  it('find nothing without a broker to read, or with queues that are well', () => {
    expect(found(input(undefined))).toEqual([]);
    expect(found(input(broker()))).toEqual([]);
  });

  describe('worker-backlog-age', () => {
    it("uses 10 times the class's timeout (the spec's field) as the limit", () => {
      expect(backlogAgeLimitMs({ timeoutMs: 20_000 })).toBe(200_000);
      const longer = fleetOf({
        ...baseTexts(),
        'services/encoder.yaml': setIn(baseTexts()['services/encoder.yaml'] as string, 'normal.timeout', '1m'),
      });
      const at = { encode: { ready: 7, oldestWaitingMs: 5 * MIN } };
      expect(found(input(broker(at)))).toHaveLength(1);
      expect(found(input(broker(at), workers(), longer))).toEqual([]);
    });

    it('warns when the oldest waiting task has waited past the limit, naming the queue', () => {
      expect(found(input(broker({ encode: { ready: 7, oldestWaitingMs: 200_000 } })))).toEqual([]);
      const [f, ...rest] = found(input(broker({ encode: { ready: 7, oldestWaitingMs: 250_000 } })));
      expect(rest).toEqual([]);
      expect(f).toMatchObject({
        check: 'worker-backlog-age',
        severity: 'warning',
        unit: 'encoder',
        part: 'normal',
        objects: ['queue/encode'],
        message:
          "encoder/normal: the oldest of 7 waiting tasks has waited 4m 10s, past 3m 20s (10 × the class's 20s timeout)",
      });
      expect(f?.hint).toContain('switchyard health encoder');
    });

    it('judges the fallback class by its own timeout', () => {
      const reading = broker({ 'encode.fallback': { ready: 1, oldestWaitingMs: 40 * MIN } });
      const running = workers({ desired: 1, ready: 1 });
      expect(found(input(reading, running))).toEqual([]);
      const late = broker({ 'encode.fallback': { ready: 1, oldestWaitingMs: 51 * MIN } });
      expect(found(input(late, running)).map((f) => [f.check, f.part])).toEqual([['worker-backlog-age', 'fallback']]);
    });
  });

  describe('worker-dead-letters', () => {
    it('warns when the dead-letter queue grew in the window, with the command that shows why', () => {
      const [f, ...rest] = found(input(broker({ 'encode.dead': { ready: 42, growth: 40 } })));
      expect(rest).toEqual([]);
      expect(f).toMatchObject({
        check: 'worker-dead-letters',
        severity: 'warning',
        unit: 'encoder',
        part: 'dead-letter',
        objects: ['queue/encode.dead'],
        message: 'encoder: 40 tasks dead-lettered in the last 15m (encode.dead holds 42)',
      });
      expect(f?.hint).toContain('/api/queues/%2F/encode.dead/get');
      expect(f?.hint).toContain('ack_requeue_true');
    });

    it('says nothing of dead letters that were there before the window, or of a queue that shrank', () => {
      expect(found(input(broker({ 'encode.dead': { ready: 42, growth: 0 } })))).toEqual([]);
      expect(found(input(broker({ 'encode.dead': { ready: 0, growth: -42 } })))).toEqual([]);
    });
  });

  describe('worker-escalation-stuck', () => {
    const waiting = { 'encode.fallback': { ready: 3, oldestWaitingMs: 3 * MIN } };

    it('is critical when escalated tasks wait past the grace while the fallback class has no ready replica', () => {
      const running = workers({ desired: 1, ready: 0, replicas: [{ name: 'encoder-fallback-0', state: 'starting' }] });
      const f = found(input(broker(waiting), running)).find((x) => x.check === 'worker-escalation-stuck');
      expect(f).toMatchObject({
        severity: 'critical',
        unit: 'encoder',
        part: 'fallback',
        objects: ['queue/encode.fallback', 'encoder-fallback-0'],
        message:
          'encoder: 3 escalated tasks have waited 3m in encode.fallback while the fallback class has no ready replica (0/1)',
      });
    });

    it('waits out the grace (the class scales up from zero), and is quiet once a replica is ready', () => {
      const young = { 'encode.fallback': { ready: 3, oldestWaitingMs: 90_000 } };
      expect(found(input(broker(young))).filter((f) => f.check === 'worker-escalation-stuck')).toEqual([]);
      expect(found(input(broker(waiting), workers({ desired: 1, ready: 1 })))).toEqual([]);
    });

    it('does not apply to a worker without a fallback class', () => {
      const texts = baseTexts();
      const none = fleetOf({
        ...texts,
        'services/encoder.yaml': deleteIn(texts['services/encoder.yaml'] as string, 'fallback'),
      });
      expect(found(input(broker(waiting), workers(), none))).toEqual([]);
    });
  });

  describe('worker-task-kills', () => {
    it("warns when a class's tasks are taken back from dying workers again and again", () => {
      expect(found(input(broker({ encode: { redeliveries: 2 } })))).toEqual([]);
      const [f] = found(input(broker({ encode: { redeliveries: 5, windowMs: 10 * MIN } })));
      expect(f).toMatchObject({
        check: 'worker-task-kills',
        severity: 'warning',
        unit: 'encoder',
        part: 'normal',
        objects: ['queue/encode'],
        message:
          'encoder/normal: tasks were taken back from dying workers 5 times in the last 10m: its replicas are killed while they hold tasks',
      });
    });
  });

  describe('broker-unreachable', () => {
    it('is one finding of its own, naming where it was read', () => {
      const down: BrokerReading = { reachable: false, at: 'http://127.0.0.1:15672', error: 'connect ECONNREFUSED' };
      expect(found(input(down))).toEqual([
        expect.objectContaining({
          check: 'broker-unreachable',
          severity: 'warning',
          unit: 'broker',
          part: 'management',
          objects: ['http://127.0.0.1:15672'],
          message:
            "the broker's management API at http://127.0.0.1:15672 cannot be read (connect ECONNREFUSED): the queues of encoder are not watched",
        }),
      ]);
    });

    it('is no finding for a fleet without workers', () => {
      const texts = baseTexts();
      delete texts['services/encoder.yaml'];
      const down: BrokerReading = { reachable: false, at: 'http://127.0.0.1:15672', error: 'refused' };
      expect(found(input(down, [], fleetOf(texts)))).toEqual([]);
    });
  });

  it('spans read at once', () => {
    expect([45_000, 60_000, 200_000, 3_600_000, 7_500_000].map(span)).toEqual(['45s', '1m', '3m 20s', '1h', '2h 5m']);
  });
});
