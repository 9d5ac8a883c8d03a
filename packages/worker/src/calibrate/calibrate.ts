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
  /** Share of tasks the normal class would have handled (time and memory both within), 0..1. */
  readonly normalShare: number;
  /** Share of tasks within the timeout, whatever their memory, 0..1. */
  readonly timeShare: number;
  /** Share of tasks within the memory limit, whatever their duration, 0..1. */
  readonly memoryShare: number;
}

export interface Calibration {
  readonly tasks: number;
  readonly unknown: number;
  /** Tasks known to have completed whose figures were not recorded: left out of the shares. */
  readonly unmeasured: number;
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

/** Tasks whose output exists (a copy found it) but whose successful attempt left no figures. */
export function unmeasuredTasks(stats: readonly TaskStat[]): string[] {
  const done = new Set(stats.filter((s) => s.outcome === 'done').map((s) => s.taskId));
  return [
    ...new Set(stats.filter((s) => s.outcome === 'duplicate' && !done.has(s.taskId)).map((s) => s.taskId)),
  ].sort();
}

/**
 * One need per task, from its attempts: the successful attempt's figures (wherever it ran),
 * or "unknown" when the task only ever hit limits (it is too big even for the fallback). A
 * task found already done (its output there) without a successful attempt on record completed
 * somewhere: it has no need to count, and is not taken for one that never succeeded.
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
      !attempts.some((a) => a.outcome === 'duplicate') &&
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
  const inTime = (n: TaskNeed) => n.durationMs <= limits.timeoutMs;
  const inMemory = (n: TaskNeed) => n.peakRssBytes <= limits.memoryBytes;
  const share = (count: number) => (needs.length ? count / needs.length : 0);
  const normal = needs.filter((n) => inTime(n) && inMemory(n)).length;
  return {
    normal,
    fallback: needs.length - normal,
    normalShare: share(normal),
    timeShare: share(needs.filter(inTime).length),
    memoryShare: share(needs.filter(inMemory).length),
  };
}

const MI = 2 ** 20;

/**
 * Rounds up to two significant digits (at least 1 ms): a step relative to the value, so a
 * 412 ms need becomes 420ms (+2%), not 500ms, and 73.4 s becomes 74s.
 */
export function roundTimeout(ms: number): number {
  if (ms <= 1) return 1;
  const step = Math.max(1, 10 ** (Math.floor(Math.log10(ms)) - 1));
  // Floating point: 0.29 × 1000 is 290.00000000000006, which is 290, not a step above it.
  return Math.ceil(Math.round((ms / step) * 1e6) / 1e6) * step;
}

/** Timeouts round up to two significant digits; memory to 16 MiB. */
export function roundLimits(limits: Limits): Limits {
  return {
    timeoutMs: roundTimeout(limits.timeoutMs),
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
    unmeasured: unmeasuredTasks(stats).length,
    target,
    suggested,
    suggestedSplit: split(needs, suggested),
    ...(options.current ? { current: { limits: options.current, split: split(needs, options.current) } } : {}),
    percentiles: { durationMs: pct(durations), peakRssBytes: pct(memories) },
  };
}
