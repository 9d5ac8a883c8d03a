import { calibrate, type TaskStat } from '@switchyard/worker';
import { describe, expect, it } from 'vitest';
import { formatCalibration } from './workers.js';

const MI = 2 ** 20;
const stat = (taskId: string, outcome: TaskStat['outcome'], durationMs: number, mib: number): TaskStat => ({
  at: '2026-11-23T10:00:00.000Z',
  service: 'encoding-worker',
  taskId,
  class: 'normal',
  outcome,
  action: 'ack',
  durationMs,
  peakRssBytes: mib * MI,
  timeoutMs: 20_000,
  memoryBytes: 500 * MI,
  attempt: 1,
  worker: 'h:1',
});

describe('workers calibrate output', () => {
  it('says what share the suggestion fits jointly and for each limit, and counts tasks completed without figures', () => {
    // Sub-second tasks; the slowest ones are the smallest.
    const stats = [
      ...Array.from({ length: 20 }, (_, i) => stat(`t${i}`, 'done', 300 + i * 5, 300 - i * 10)),
      stat('lost', 'duplicate', 0, 0),
    ];
    const text = formatCalibration('encoding-worker', calibrate(stats, { target: 0.9 }));
    expect(text).toMatch(/^encoding-worker: 20 tasks measured; 1 completed without figures \(left out\)$/m);
    expect(text).toMatch(
      /^ {4}split: \d+ normal \/ \d+ fallback \(\d+\.\d% fit time and memory together; \d+\.\d% fit the timeout, \d+\.\d% the memory\)$/m,
    );
    // 395 ms at p100 of time within the joint 90% + 20%: two significant digits, not 100 ms steps.
    const timeout = /in the worker file: normal: \{ timeout: (\d+)ms,/.exec(text)?.[1];
    expect(Number(timeout)).toBeGreaterThan(300);
    expect(Number(timeout) % 10).toBe(0);
    expect(Number(timeout) % 100).not.toBe(0);
  });
});
