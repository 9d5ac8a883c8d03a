import { addBatch, type Counts, type ErrorEvidence, type SequentialSettings } from './errors.js';

/**
 * Latency as a distribution, judged with the same sequential test as errors: a request slower
 * than the stable track's 99th percentile is an event like a failure. Under "no regression" the
 * canary's requests land above that bound as often as the stable track's (about 1%); a p99
 * regression makes them land there more often. Counting them per track and feeding the counts to
 * the error test gives the same guarantees (failure origin given the split is exact here too),
 * whatever the latencies' shape.
 *
 * The input is a cumulative histogram per track (Prometheus' `le` buckets, the router's latency
 * table). The bound must not depend on the batch it judges, so it is taken from the stable
 * track's histogram before it.
 */

/** Cumulative bucket: requests that took at most `le` seconds (the last bucket is +Inf). */
export interface Bucket {
  readonly le: number;
  readonly count: number;
}

export type Histogram = readonly Bucket[];

/** The smallest bucket bound with at least `quantile` of the requests at or under it (undefined: no requests). */
export function quantileBound(h: Histogram, quantile = 0.99): number | undefined {
  const total = h.at(-1)?.count ?? 0;
  if (total === 0) return undefined;
  return h.find((b) => b.count >= quantile * total)?.le;
}

/** Requests, and those slower than `bound`, in a histogram. */
export function slowerThan(h: Histogram, bound: number): Counts {
  const requests = h.at(-1)?.count ?? 0;
  const within = h.filter((b) => b.le <= bound).at(-1)?.count ?? 0;
  return { requests, errors: requests - within };
}

/** The difference of two readings of a cumulative histogram (a reset: the new reading alone). */
export function histogramDelta(now: Histogram, before: Histogram | undefined): Histogram {
  if (!before || now.some((b, i) => b.count < (before[i]?.count ?? 0))) return now;
  return now.map((b, i) => ({ le: b.le, count: b.count - (before[i]?.count ?? 0) }));
}

/**
 * One batch of latency evidence: the canary's and the stable track's requests slower than the
 * stable track's p99 as it stood before the batch. No bound yet (no stable traffic): no evidence.
 */
export function addLatencyBatch(
  evidence: ErrorEvidence,
  bound: number | undefined,
  canary: Histogram,
  stable: Histogram,
  s: SequentialSettings,
): ErrorEvidence {
  if (bound === undefined) return evidence;
  return addBatch(evidence, slowerThan(canary, bound), slowerThan(stable, bound), s);
}
