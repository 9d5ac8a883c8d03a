import { describe, expect, it } from 'vitest';
import { Random } from '../../test/support/random.js';
import { EVERY_ANSWER, LATENCY_BOUNDS_MS } from '../router/index.js';
import type { Gate, Stage } from '../spec/index.js';
import { evaluate } from './gates.js';
import type { Judgement, Measurement, TrackCounters, Verdict } from './types.js';

/** The router's buckets, in seconds, as its latency table gives them. */
const BOUNDS = [...LATENCY_BOUNDS_MS.map((ms) => ms / 1000), EVERY_ANSWER];

/** Cumulative counters of a track that answered `latencies` (seconds) on top of `before`. */
function answered(before: TrackCounters | undefined, latencies: readonly number[]): TrackCounters {
  const counts = BOUNDS.map((le) => latencies.filter((l) => l <= le).length);
  return {
    requests: (before?.requests ?? 0) + latencies.length,
    errors: 0,
    responseTimeMs: 0,
    latency: BOUNDS.map((le, i) => ({ le, count: (before?.latency?.[i]?.count ?? 0) + counts[i]! })),
  };
}

const gate = (compare: 'p99' | 'distribution'): Gate => ({
  metric: 'latency-vs-stable',
  compare,
  falseRollback: 0.01,
  missedRegression: 0.05,
  regression: { factor: 2, margin: 0.01 },
});

const stage = (g: Gate): Stage => ({
  name: 'free',
  track: 'free',
  shares: { free: 5 },
  durationMs: 300_000,
  approval: false,
  gates: [g],
});

const SETTINGS = { minRequests: 0, intervalMs: 1000, inconclusiveAfterMs: 600_000 };

/**
 * A stage read every second: 95 stable and 5 canary answers per second, exponential latencies
 * (mean 20 ms) after a warm stable minute; `canary` turns a base latency into the canary's.
 */
function stageOf(g: Gate, random: Random, canary: (l: number) => number, seconds = 300): Verdict {
  const latency = () => -0.02 * Math.log(1 - random.next());
  const many = (n: number, f: (l: number) => number = (l) => l) => Array.from({ length: n }, () => f(latency()));
  const baseline: Measurement = { tracks: { production: answered(undefined, many(5700)) } };
  let current = baseline;
  let judgement: Judgement | undefined;
  let verdict: Verdict | undefined;
  for (let t = 0; t < seconds; t++) {
    current = {
      tracks: {
        production: answered(current.tracks.production, many(95)),
        free: answered(current.tracks.free, many(5, canary)),
      },
    };
    const next = evaluate({
      at: new Date(t * 1000).toISOString(),
      stage: stage(g),
      settings: SETTINGS,
      stableTrack: 'production',
      baseline,
      current,
      ...(judgement ? { judgement } : {}),
    });
    judgement = next.judgement;
    verdict = next.verdict;
    if (verdict.outcome !== 'inconclusive') return verdict;
  }
  return verdict!;
}

describe('latency gates on the router histograms', () => {
  it('rolls back at most 1% of canaries as fast as stable, and cuts every one whose slowest tenth got 300 ms slower', () => {
    const random = new Random(7);
    const good = Array.from({ length: 200 }, () => stageOf(gate('p99'), random, (l) => l).outcome);
    expect(good.filter((o) => o === 'fail').length).toBeLessThanOrEqual(2);
    expect(good.filter((o) => o === 'pass').length).toBeGreaterThanOrEqual(170);
    const slow = Array.from({ length: 50 }, () =>
      stageOf(gate('p99'), random, (l) => (random.next() < 0.1 ? l + 0.3 : l)),
    );
    expect(slow.every((v) => v.outcome === 'fail')).toBe(true);
    expect(slow[0]!.summary).toMatch(
      /^free failed latency-vs-stable \(answers slower than the stable p99 \(\d+ ms\) \d+\/\d+ .*a regression, with at most 1\.00% chance of a false rollback\)/,
    );
  });

  it('judges the whole distribution when asked: cuts a canary twice as slow throughout, rolls back at most 1% of good ones', () => {
    const random = new Random(11);
    const doubled = (l: number) => l * 2;
    const distribution = Array.from({ length: 20 }, () => stageOf(gate('distribution'), random, doubled));
    expect(distribution.every((v) => v.outcome === 'fail')).toBe(true);
    expect(distribution[0]!.gates[0]!.threshold).toMatch(/slower than the stable p50, p90, p99/);
    const good = Array.from({ length: 200 }, () => stageOf(gate('distribution'), random, (l) => l).outcome);
    expect(good.filter((o) => o === 'fail').length).toBeLessThanOrEqual(2);
  });

  it('waits, saying why, while the router gives no histogram; passes then only when time runs out, without the guarantee', () => {
    const counters: TrackCounters = { requests: 100, errors: 0, responseTimeMs: 10 };
    const base = {
      at: new Date(0).toISOString(),
      stage: stage(gate('p99')),
      settings: SETTINGS,
      stableTrack: 'production',
      baseline: { tracks: { production: counters, free: counters } },
      current: { tracks: { production: { ...counters, requests: 200 }, free: { ...counters, requests: 110 } } },
    };
    const waiting = evaluate(base).verdict;
    expect(waiting.outcome).toBe('inconclusive');
    expect(waiting.summary).toMatch(/no response-time histogram from the router yet/);
    const final = evaluate({ ...base, final: true }).verdict;
    expect(final.outcome).toBe('pass');
    expect(final.summary).toMatch(/passed without the missed-regression guarantee/);
  });
});
