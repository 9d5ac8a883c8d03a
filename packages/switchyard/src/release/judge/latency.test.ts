import { describe, expect, it } from 'vitest';
import { Random } from '../../../test/support/random.js';
import { NO_EVIDENCE, SEQUENTIAL_DEFAULTS as S, decide } from './errors.js';
import { addLatencyBatch, histogramDelta, quantileBound, slowerThan, type Histogram } from './latency.js';

const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, Infinity];

function histogram(latencies: readonly number[]): Histogram {
  const counts = BOUNDS.map(() => 0);
  for (const l of latencies) counts[BOUNDS.findIndex((le) => l <= le)]!++;
  let sum = 0;
  return BOUNDS.map((le, i) => ({ le, count: (sum += counts[i]!) }));
}

describe('latency judged as a distribution', () => {
  const h = histogram([...Array(980).fill(0.02), ...Array(15).fill(0.2), ...Array(5).fill(0.8)]);

  it("finds the bucket bound of a histogram's 99th percentile and counts the requests above it", () => {
    expect(quantileBound(h)).toBe(0.25);
    expect(quantileBound(h, 0.9)).toBe(0.025);
    expect(quantileBound(histogram([]))).toBeUndefined();
    expect(slowerThan(h, 0.25)).toEqual({ requests: 1000, errors: 5 });
    expect(slowerThan(h, 0.025)).toEqual({ requests: 1000, errors: 20 });
  });

  it('takes differences of cumulative readings, and a reading that went back as a fresh start', () => {
    const later = histogram([...Array(990).fill(0.02), ...Array(15).fill(0.2), ...Array(7).fill(0.8)]);
    expect(slowerThan(histogramDelta(later, h), 0.25)).toEqual({ requests: 12, errors: 2 });
    const reset = histogram([0.02, 0.8]);
    expect(histogramDelta(reset, h)).toEqual(reset);
  });

  /** Seconds of traffic, exponential latencies (mean 50 ms) plus `slowShare` of requests 0.5 s slower on the canary. */
  function stage(random: Random, slowShare: number, seconds: number): string {
    const latency = (slow: number) => -0.05 * Math.log(1 - random.next()) + (random.next() < slow ? 0.5 : 0);
    let e = NO_EVIDENCE;
    let stable: Histogram | undefined;
    for (let t = 0; t < seconds; t++) {
      const canary = histogram(Array.from({ length: 50 }, () => latency(slowShare)));
      const batch = histogram(Array.from({ length: 950 }, () => latency(0)));
      e = addLatencyBatch(e, stable ? quantileBound(stable) : undefined, canary, batch, S);
      stable = stable ? stable.map((b, i) => ({ le: b.le, count: b.count + (batch[i]?.count ?? 0) })) : batch;
      if (decide(e, S) === 'fail') return 'fail';
    }
    return decide(e, S);
  }

  it('passes canaries as fast as stable and cuts one whose slowest 5% got half a second slower', () => {
    const random = new Random(99);
    const good = Array.from({ length: 100 }, () => stage(random, 0, 120));
    expect(good.filter((d) => d === 'fail')).toHaveLength(0);
    expect(good.filter((d) => d === 'pass').length).toBeGreaterThanOrEqual(95);
    const slow = Array.from({ length: 100 }, () => stage(random, 0.05, 120));
    expect(slow.every((d) => d === 'fail')).toBe(true);
  });
});
