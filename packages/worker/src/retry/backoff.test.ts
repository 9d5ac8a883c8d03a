import { describe, expect, it } from 'vitest';
import { backoffDelayMs, bucketFor, delayBuckets } from './backoff.js';

const policy = { attempts: 5, initialDelayMs: 1_000, maxDelayMs: 60_000 };

describe('backoff', () => {
  it('buckets run from half the initial delay to the maximum, a quarter octave apart', () => {
    const buckets = delayBuckets(policy);
    expect(buckets[0]).toBe(500);
    expect(buckets[buckets.length - 1]).toBe(60_000);
    for (let i = 1; i < buckets.length - 1; i++)
      expect((buckets[i] as number) / (buckets[i - 1] as number)).toBeCloseTo(2 ** 0.25, 1);
  });

  it('doubles the delay with each retry and stays within [half, all] of it, on a bucket', () => {
    const buckets = new Set(delayBuckets(policy));
    for (let retry = 1; retry <= 8; retry++) {
      const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (retry - 1));
      for (const r of [0, 0.25, 0.5, 0.75, 0.999]) {
        const delay = backoffDelayMs(retry, policy, () => r);
        expect(buckets.has(delay)).toBe(true);
        // Rounding to a bucket moves a delay by at most ~9%.
        expect(delay).toBeGreaterThanOrEqual((base / 2) * 0.9);
        expect(delay).toBeLessThanOrEqual(base * 1.1);
      }
    }
  });

  it('spreads a burst of retries over several buckets (jitter)', () => {
    let seed = 42;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const delays = new Set(Array.from({ length: 200 }, () => backoffDelayMs(4, policy, random)));
    expect(delays.size).toBeGreaterThanOrEqual(4);
  });

  it('never exceeds the maximum, however many retries', () => {
    expect(backoffDelayMs(60, policy, () => 0.999)).toBe(60_000);
  });

  it('rounds to the nearest bucket on a log scale', () => {
    expect(bucketFor(1_000, policy)).toBe(1_000);
    expect(bucketFor(59_000, policy)).toBe(60_000);
    expect(bucketFor(1, policy)).toBe(500);
  });
});
