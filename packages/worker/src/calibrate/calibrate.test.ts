import { describe, expect, it } from 'vitest';
import type { TaskStat } from '../stats/index.js';
import { calibrate, quantile, roundLimits, roundTimeout, split, taskNeeds, unmeasuredTasks } from './calibrate.js';

const MI = 2 ** 20;
const stat = (
  taskId: string,
  cls: 'normal' | 'fallback',
  outcome: TaskStat['outcome'],
  durationMs: number,
  mib: number,
): TaskStat => ({
  at: '2026-11-23T10:00:00.000Z',
  service: 'encoding-worker',
  taskId,
  class: cls,
  outcome,
  action: outcome === 'done' ? 'ack' : 'escalate',
  durationMs,
  peakRssBytes: mib * MI,
  timeoutMs: 20_000,
  memoryBytes: 500 * MI,
  attempt: 1,
  worker: 'h:1',
});

describe('taskNeeds', () => {
  it('takes the successful attempt of each task, wherever it ran', () => {
    const needs = taskNeeds([
      stat('a', 'normal', 'time-limit', 20_000, 100),
      stat('a', 'fallback', 'done', 45_000, 300),
      stat('b', 'normal', 'done', 1_000, 80),
    ]);
    expect(needs).toEqual([
      { taskId: 'a', durationMs: 45_000, peakRssBytes: 300 * MI, known: true },
      { taskId: 'b', durationMs: 1_000, peakRssBytes: 80 * MI, known: true },
    ]);
  });

  it('leaves out a task found already done without a successful attempt on record: it completed', () => {
    const stats = [
      stat('d', 'normal', 'time-limit', 20_000, 100),
      stat('d', 'fallback', 'duplicate', 0, 0),
      stat('e', 'normal', 'done', 1_000, 80),
      stat('e', 'normal', 'duplicate', 0, 0),
    ];
    expect(taskNeeds(stats).map((n) => [n.taskId, n.known])).toEqual([['e', true]]);
    expect(unmeasuredTasks(stats)).toEqual(['d']);
    const result = calibrate(stats);
    expect([result.tasks, result.unknown, result.unmeasured]).toEqual([1, 0, 1]);
  });

  it('marks a task that only ever hit limits as fitting nowhere', () => {
    expect(
      taskNeeds([stat('c', 'normal', 'memory-limit', 1, 600), stat('c', 'fallback', 'memory-limit', 1, 2_100)]),
    ).toEqual([
      { taskId: 'c', durationMs: Number.POSITIVE_INFINITY, peakRssBytes: Number.POSITIVE_INFINITY, known: false },
    ]);
  });
});

describe('calibrate', () => {
  // 100 tasks: durations 1..100 s, memory 101..200 MiB, but the slowest are the smallest.
  const stats = Array.from({ length: 100 }, (_, i) => stat(`t${i}`, 'normal', 'done', (i + 1) * 1_000, 200 - i));

  it('suggests limits that fit the target share in time and memory together', () => {
    const result = calibrate(stats, { target: 0.9, headroom: 0 });
    expect(result.suggestedSplit.normalShare).toBeGreaterThanOrEqual(0.9);
    expect(split(taskNeeds(stats), result.suggested).normal).toBe(result.suggestedSplit.normal);
    // Per-dimension p90s alone (90 s, 190 MiB) would fit only 80 of these tasks.
    expect(split(taskNeeds(stats), { timeoutMs: 90_000, memoryBytes: 190 * MI }).normal).toBe(80);
  });

  it('adds headroom and rounds to limits a person would write', () => {
    const result = calibrate([stat('x', 'normal', 'done', 1_234, 100)], { target: 0.95 });
    expect(result.suggested).toEqual({ timeoutMs: 1_500, memoryBytes: 128 * MI });
  });

  it('shows the split the current limits gave', () => {
    const result = calibrate(stats, { current: { timeoutMs: 50_000, memoryBytes: 500 * MI } });
    expect(result.current?.split).toEqual({
      normal: 50,
      fallback: 50,
      normalShare: 0.5,
      timeShare: 0.5,
      memoryShare: 1,
    });
  });

  it('says what share the suggestion fits in time and in memory separately, beside the joint share', () => {
    // The slowest tasks are the smallest: each limit alone fits 90%, both together 80%.
    expect(split(taskNeeds(stats), { timeoutMs: 90_000, memoryBytes: 190 * MI })).toMatchObject({
      normalShare: 0.8,
      timeShare: 0.9,
      memoryShare: 0.9,
    });
    const result = calibrate(stats, { target: 0.9, headroom: 0 });
    const needs = taskNeeds(stats);
    const s = result.suggested;
    expect(result.suggestedSplit.timeShare).toBe(needs.filter((n) => n.durationMs <= s.timeoutMs).length / 100);
    expect(result.suggestedSplit.memoryShare).toBe(needs.filter((n) => n.peakRssBytes <= s.memoryBytes).length / 100);
  });

  it('rounds sub-second suggestions relative to the need, not up to the next 100 ms', () => {
    // 340 ms measured + 20% headroom = 408 ms: 410ms, where 100 ms steps gave 500ms (+23%).
    const result = calibrate([stat('x', 'normal', 'done', 340, 100)], { target: 0.95 });
    expect(result.suggested.timeoutMs).toBe(410);
  });

  it('reports percentiles of what the tasks needed', () => {
    expect(calibrate(stats).percentiles.durationMs).toEqual({ p50: 50_000, p95: 95_000, p99: 99_000, max: 100_000 });
  });
});

describe('helpers', () => {
  it('quantile takes the nearest rank', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantile([], 0.5)).toBe(0);
  });

  it('roundTimeout rounds up to two significant digits', () => {
    expect([1, 7.2, 40.1, 290, 408, 412, 999, 1_234, 9_950, 12_001, 73_400, 125_000].map(roundTimeout)).toEqual([
      1, 8, 41, 290, 410, 420, 1_000, 1_300, 10_000, 13_000, 74_000, 130_000,
    ]);
    // Never more than a tenth above the need.
    for (let ms = 1; ms < 200_000; ms = Math.ceil(ms * 1.07)) {
      expect(roundTimeout(ms)).toBeGreaterThanOrEqual(ms);
      expect(roundTimeout(ms)).toBeLessThanOrEqual(Math.max(ms * 1.1, 1));
    }
  });

  it('roundLimits rounds up', () => {
    expect(roundLimits({ timeoutMs: 12_001, memoryBytes: 17 * MI })).toEqual({
      timeoutMs: 13_000,
      memoryBytes: 32 * MI,
    });
  });
});
