import type { TaskStat } from '../stats/index.js';

/** What one task needed: the duration and peak memory of its successful attempt. */
export interface TaskNeed {
  readonly taskId: string;
  readonly durationMs: number;
  readonly peakRssBytes: number;
  /** False when the task never succeeded (it hit the fallback class's limits too): it fits nowhere. */
  readonly known: boolean;
}

export interface Limits {
  readonly timeoutMs: number;
  readonly memoryBytes: number;
}

export interface Split {
  readonly normal: number;
  readonly fallback: number;
  /** Share of tasks the normal class would have handled, 0..1. */
  readonly normalShare: number;
}

export interface Calibration {
  readonly tasks: number;
  readonly unknown: number;
  /** Target share of tasks the normal class should fit, 0..1. */
  readonly target: number;
  readonly suggested: Limits;
  readonly suggestedSplit: Split;
  readonly current?: { readonly limits: Limits; readonly split: Split };
  readonly percentiles: {
    readonly durationMs: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number };
    readonly peakRssBytes: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number };
  };
}

export interface CalibrateOptions {
  /** Share of tasks the normal class should fit: 0.95 by default. */
  readonly target?: number;
  /** Added to the measured needs before rounding: 0.2 (20%) by default. */
  readonly headroom?: number;
  readonly current?: Limits;
}

/**
 * One need per task, from its attempts: the successful attempt's figures (wherever it ran),
 * or "unknown" when the task only ever hit limits (it is too big even for the fallback).
 */
export function taskNeeds(stats: readonly TaskStat[]): TaskNeed[] {
  const byTask = new Map<string, TaskStat[]>();
  for (const s of stats) byTask.set(s.taskId, [...(byTask.get(s.taskId) ?? []), s]);
  const needs: TaskNeed[] = [];
  for (const [taskId, attempts] of byTask) {
    const done = attempts.find((a) => a.outcome === 'done');
    if (done) {
      needs.push({ taskId, durationMs: done.durationMs, peakRssBytes: done.peakRssBytes ?? 0, known: true });
    } else if (
      attempts.some((a) => a.outcome === 'time-limit' || a.outcome === 'memory-limit' || a.outcome === 'too-big')
    ) {
      needs.push({
        taskId,
        durationMs: Number.POSITIVE_INFINITY,
        peakRssBytes: Number.POSITIVE_INFINITY,
        known: false,
      });
    }
  }
  return needs.sort((a, b) => a.taskId.localeCompare(b.taskId));
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] as number;
}

export function split(needs: readonly TaskNeed[], limits: Limits): Split {
  const normal = needs.filter((n) => n.durationMs <= limits.timeoutMs && n.peakRssBytes <= limits.memoryBytes).length;
  return { normal, fallback: needs.length - normal, normalShare: needs.length ? normal / needs.length : 0 };
}

const MI = 2 ** 20;

/** Timeouts round up to 100 ms under 10 s, then to whole seconds; memory to 16 MiB. */
export function roundLimits(limits: Limits): Limits {
  const step = limits.timeoutMs < 10_000 ? 100 : 1_000;
  return {
    timeoutMs: Math.max(step, Math.ceil(limits.timeoutMs / step) * step),
    memoryBytes: Math.max(16 * MI, Math.ceil(limits.memoryBytes / (16 * MI)) * 16 * MI),
  };
}

/**
 * The normal class's limits so that `target` of the tasks fit both in time and in memory.
 * Per-dimension quantiles alone would fit fewer (a task long but small and one short but big
 * both miss), so the quantile is raised until the joint share reaches the target.
 */
export function calibrate(stats: readonly TaskStat[], options: CalibrateOptions = {}): Calibration {
  const target = options.target ?? 0.95;
  const headroom = options.headroom ?? 0.2;
  const needs = taskNeeds(stats);
  const known = needs.filter((n) => n.known);
  const durations = known.map((n) => n.durationMs).sort((a, b) => a - b);
  const memories = known.map((n) => n.peakRssBytes).sort((a, b) => a - b);
  let chosen: Limits = { timeoutMs: quantile(durations, 1), memoryBytes: quantile(memories, 1) };
  for (let q = target; q <= 1 + 1e-9; q += 0.001) {
    const candidate = { timeoutMs: quantile(durations, q), memoryBytes: quantile(memories, q) };
    if (split(needs, candidate).normalShare >= target) {
      chosen = candidate;
      break;
    }
  }
  const suggested = roundLimits({
    timeoutMs: chosen.timeoutMs * (1 + headroom),
    memoryBytes: chosen.memoryBytes * (1 + headroom),
  });
  const pct = (values: number[]) => ({
    p50: quantile(values, 0.5),
    p95: quantile(values, 0.95),
    p99: quantile(values, 0.99),
    max: quantile(values, 1),
  });
  return {
    tasks: needs.length,
    unknown: needs.length - known.length,
    target,
    suggested,
    suggestedSplit: split(needs, suggested),
    ...(options.current ? { current: { limits: options.current, split: split(needs, options.current) } } : {}),
    percentiles: { durationMs: pct(durations), peakRssBytes: pct(memories) },
  };
}
