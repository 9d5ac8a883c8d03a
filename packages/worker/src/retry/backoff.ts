import type { RetryPolicy } from '../config/index.js';

/**
 * Exponential backoff with "equal jitter": the n-th retry waits between half and all of
 * `initial × 2^(n-1)` (capped at the maximum), so retries of a burst spread out but none
 * comes back immediately.
 *
 * The broker holds the delay (a worker never sleeps on a task): each delay is rounded to one
 * of a fixed set of buckets, a quarter of an octave apart, and each bucket is a queue whose
 * messages expire after that delay back into the task's queue. Queue-level TTL is used
 * because a per-message TTL only expires messages at the head of a queue.
 */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(retry));
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(n - 1, 52));
  const jittered = base / 2 + (random() * base) / 2;
  return bucketFor(jittered, policy);
}

const STEPS_PER_OCTAVE = 4;

/** Every delay bucket of a policy, ascending: from half the initial delay to the maximum. */
export function delayBuckets(policy: RetryPolicy): number[] {
  const low = Math.max(1, Math.round(policy.initialDelayMs / 2));
  const out: number[] = [];
  for (let k = 0; ; k++) {
    const ms = Math.round(low * 2 ** (k / STEPS_PER_OCTAVE));
    if (ms >= policy.maxDelayMs) break;
    if (out[out.length - 1] !== ms) out.push(ms);
  }
  out.push(policy.maxDelayMs);
  return out;
}

/** The bucket nearest to a delay (on a log scale), so the error is at most ~9%. */
export function bucketFor(delayMs: number, policy: RetryPolicy): number {
  const buckets = delayBuckets(policy);
  let best = buckets[0] as number;
  for (const b of buckets) {
    if (Math.abs(Math.log(b / delayMs)) < Math.abs(Math.log(best / delayMs))) best = b;
  }
  return best;
}
