import { describe, expect, it } from 'vitest';
import { Random } from '../../../test/support/random.js';
import {
  NO_EVIDENCE,
  SEQUENTIAL_DEFAULTS as S,
  addBatch,
  boundaries,
  decide,
  describeEvidence,
  type ErrorEvidence,
} from './errors.js';

const batch = (e: ErrorEvidence, canary: [number, number], stable: [number, number]) =>
  addBatch(e, { requests: canary[0], errors: canary[1] }, { requests: stable[0], errors: stable[1] }, S);

/** Feeds `seconds` of traffic (a group at `rps`, `share` on the canary) until a decision; returns it and when. */
function run(
  random: Random,
  o: { rps: number; share: number; stableRate: number; canaryRate: number; seconds: number },
): { decision: string; second: number; canaryFailures: number } {
  let e = NO_EVIDENCE;
  for (let t = 1; t <= o.seconds; t++) {
    const n = random.poisson(o.rps * o.share);
    const m = random.poisson(o.rps * (1 - o.share));
    e = batch(e, [n, random.binomial(n, o.canaryRate)], [m, random.binomial(m, o.stableRate)]);
    const d = decide(e, S);
    if (d === 'fail') return { decision: d, second: t, canaryFailures: e.canary.errors };
  }
  return { decision: decide(e, S), second: o.seconds, canaryFailures: e.canary.errors };
}

describe('sequential error comparison', () => {
  it("places its boundaries at Ville's bounds: 1/α to roll back, β/2 to pass", () => {
    const b = boundaries(S);
    expect(b.fail).toBeCloseTo(Math.log(100), 10);
    expect(b.pass).toBeCloseTo(Math.log(0.025), 10);
  });

  it('weighs each failure by the track it came from, given the split of the batch', () => {
    // Even split: a canary failure is the canary's with 1/2 under no regression, 2/3 under ×2.
    const e = batch(NO_EVIDENCE, [100, 1], [100, 0]);
    expect(e.relative).toBeCloseTo(Math.log(4 / 3), 10);
    const f = batch(NO_EVIDENCE, [100, 0], [100, 1]);
    expect(f.relative).toBeCloseTo(Math.log(2 / 3), 10);
    // 5% canary: a canary failure weighs ln(0.0952/0.05), a stable one ln(0.9048/0.95).
    const g = batch(NO_EVIDENCE, [5, 1], [95, 1]);
    expect(g.relative).toBeCloseTo(Math.log(10 / 105 / 0.05) + Math.log(95 / 105 / 0.95), 10);
  });

  it('reads failure origins the same in one batch or many (the split held still)', () => {
    const whole = batch(NO_EVIDENCE, [300, 6], [5700, 9]);
    let parts = NO_EVIDENCE;
    for (let i = 0; i < 3; i++) parts = batch(parts, [100, 2], [1900, 3]);
    expect(parts.relative).toBeCloseTo(whole.relative, 10);
    expect(parts.canary).toEqual(whole.canary);
    expect(parts.stable).toEqual(whole.stable);
  });

  it('does not depend on the base error rate: the same failure origins give the same evidence', () => {
    const low = batch(NO_EVIDENCE, [1000, 3], [19_000, 20]);
    const high = batch(NO_EVIDENCE, [1000, 3], [19_000, 20]);
    const scaled = batch(NO_EVIDENCE, [10_000, 3], [190_000, 20]);
    expect(low.relative).toBeCloseTo(high.relative, 10);
    expect(scaled.relative).toBeCloseTo(low.relative, 10);
  });

  it('cuts a 20%-failing canary at 5% of 100 requests/s on its 8th failure', () => {
    let e = NO_EVIDENCE;
    let seconds = 0;
    while (decide(e, S) !== 'fail') {
      e = batch(e, [5, 1], [95, 0]);
      seconds++;
    }
    expect(e.canary.errors).toBe(8);
    expect(seconds).toBe(8);
    expect(describeEvidence(e, S, 'fail')).toMatch(
      /^errors 8\/40 \(20\.00%\) vs stable 0\/760 \(0\.00%\); evidence of a regression \(×2 and \+1\.00%\): by failure origin 5\.15, .*roll back at 4\.61 for both, pass at -3\.69 for either\): a regression, with at most 1\.00% chance of a false rollback$/,
    );
  });

  it('passes a clean canary when neither track fails, once it has answered enough requests', () => {
    let e = NO_EVIDENCE;
    let requests = 0;
    while (decide(e, S) === 'undecided') {
      e = batch(e, [5, 0], [95, 0]);
      requests += 5;
      expect(requests).toBeLessThan(1000);
    }
    expect(e.relative).toBe(0);
    // ln(0.025) / ln(0.99) ≈ 367 clean requests against a reference ratio near 0.
    expect(requests).toBeGreaterThan(360);
    expect(requests).toBeLessThan(380);
    expect(decide(e, S)).toBe('pass');
    expect(describeEvidence(e, S, 'pass')).toMatch(/no regression, with at most 5\.00% chance of missing one$/);
  });

  it('says what an undecided test still needs', () => {
    const e = batch(NO_EVIDENCE, [100, 1], [1900, 2]);
    expect(decide(e, S)).toBe('undecided');
    expect(describeEvidence(e, S, 'undecided')).toMatch(
      /undecided — about \d+ more clean canary requests to pass, \d+ more canary failures to roll back$/,
    );
  });

  it('ignores counters that went back (a router restart) and never counts more errors than requests', () => {
    const e = batch(NO_EVIDENCE, [100, 3], [1900, 5]);
    const reset = batch(e, [-80, -3], [-1500, -5]);
    expect(reset.relative).toBe(e.relative);
    expect(reset.absolute).toBe(e.absolute);
    expect(reset.canary).toEqual(e.canary);
    const odd = batch(NO_EVIDENCE, [2, 5], [10, 0]);
    expect(odd.canary).toEqual({ requests: 2, errors: 2 });
  });

  it('keeps a pass once reached, yet still fails a canary that regresses later', () => {
    let e = NO_EVIDENCE;
    for (let i = 0; i < 100; i++) e = batch(e, [5, 0], [95, 0]);
    expect(decide(e, S)).toBe('pass');
    e = batch(e, [5, 0], [95, 5]);
    expect(decide(e, S)).toBe('pass');
    for (let i = 0; i < 20 && decide(e, S) !== 'fail'; i++) e = batch(e, [5, 2], [95, 0]);
    expect(decide(e, S)).toBe('fail');
  });

  it('passes an undecided test when the time runs out, saying the guarantee was not reached', () => {
    const clean = batch(NO_EVIDENCE, [50, 0], [950, 0]);
    expect(decide(clean, S)).toBe('undecided');
    expect(decide(clean, S, true)).toBe('pass');
    expect(describeEvidence(clean, S, 'pass')).toMatch(
      /out of time with .*: passed without the 5\.00% missed-regression guarantee \(about \d+ more clean canary requests would have given it\)$/,
    );
    const leaning = batch(NO_EVIDENCE, [50, 2], [950, 1]);
    expect(decide(leaning, S, true)).toBe('pass');
    const regressed = batch(NO_EVIDENCE, [50, 10], [950, 0]);
    expect(decide(regressed, S, true)).toBe('fail');
  });

  it('rolls back at most α of good canaries and passes at most β of regressed ones, over 2,000 simulated stages each', () => {
    const random = new Random(23);
    const cases = [
      // Unequal shares, a noisy stable track, a clean one.
      { rps: 100, share: 0.05, stableRate: 0.02 },
      { rps: 400, share: 0.2, stableRate: 0.001 },
      { rps: 100, share: 0.05, stableRate: 0 },
    ];
    for (const c of cases) {
      let falseRollbacks = 0;
      let missed = 0;
      for (let i = 0; i < 2000; i++) {
        if (run(random, { ...c, canaryRate: c.stableRate, seconds: 600 }).decision === 'fail') falseRollbacks++;
        const regressed = Math.max(c.stableRate * S.factor, c.stableRate + S.margin);
        if (run(random, { ...c, canaryRate: regressed, seconds: 600 }).decision === 'pass') missed++;
      }
      expect(falseRollbacks / 2000, `false rollbacks at ${JSON.stringify(c)}`).toBeLessThanOrEqual(S.falseRollback);
      expect(missed / 2000, `missed regressions at ${JSON.stringify(c)}`).toBeLessThanOrEqual(S.missedRegression);
    }
  });
});
