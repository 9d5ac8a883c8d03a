/**
 * The sequential comparison of a canary's error ratio with the stable track's, on every
 * counter update.
 *
 * Why a sequential probability ratio test (SPRT) and not an always-valid confidence sequence:
 * a release needs to stop *either way* — cut a bad canary after a handful of failures, and let
 * a good one through as soon as it has shown it is good — with the two error rates a team
 * chooses (false rollback α, missed regression β) for a stated regression size. An SPRT of
 * "no regression" against "a regression of that size" gives both boundaries and, among tests
 * with those error rates, needs the fewest requests on average at either hypothesis (Wald and
 * Wolfowitz). A confidence sequence bounds the difference with rate α only: it can reject
 * "no regression" but never says "good enough" with a stated β, and its boundary grows with
 * the sample, so it cuts later. The boundaries are Ville's, not Wald's approximations: a
 * likelihood ratio is a non-negative martingale under the hypothesis in its denominator, so
 * it ever reaches 1/α with probability at most α, however often it is looked at and however
 * the counters arrive. The test may therefore go on watching after a pass (a late regression
 * still fails the stage) without spending more than α.
 *
 * The regression: the canary's error ratio is at least `factor` times the stable track's and at
 * least `margin` above it (defaults ×2 and +1 point). Two likelihood ratios carry the evidence:
 *
 * - relative: which track did each failure come from? Given the requests each track answered
 *   in a batch, a failure is the canary's with probability n/(n+m) when both fail alike and
 *   k·n/(k·n+m) when the canary fails k times as often. This conditioning removes the base error
 *   rate, so it holds for any stable error ratio, any split (unequal shares) and any batching.
 * - absolute: the canary's own requests, failing at the stable track's ratio (the stable track
 *   answers many times the canary's traffic, its ratio is the reference) or at the regressed
 *   ratio. This is what lets a clean canary pass when neither track fails at all: failure
 *   origins alone say nothing then.
 *
 * A stage fails when both say "regression" beyond 1/α (so the false-rollback rate stays ≤ α,
 * from the exact relative test), and passes when either says "no regression" beyond β/2 (so a
 * regression of the stated size passes with probability ≤ β/2 + β/2).
 */

export interface SequentialSettings {
  /** α: chance of rolling back a canary that fails no more often than the stable track. */
  readonly falseRollback: number;
  /** β: chance of passing a canary that regressed by the stated size. */
  readonly missedRegression: number;
  /** The regression: the canary's error ratio at least this many times the stable track's… */
  readonly factor: number;
  /** …and at least this much above it (a ratio: 0.01 is one percentage point). */
  readonly margin: number;
}

export const SEQUENTIAL_DEFAULTS: SequentialSettings = {
  falseRollback: 0.01,
  missedRegression: 0.05,
  factor: 2,
  margin: 0.01,
};

export interface Counts {
  readonly requests: number;
  readonly errors: number;
}

/** Plain data: it lives in the release state and survives a JSON round trip. */
export interface ErrorEvidence {
  /** Totals since the stage began, counted batch by batch. */
  readonly canary: Counts;
  readonly stable: Counts;
  /** Log-likelihood ratio, regression over none, from which track each failure came. */
  readonly relative: number;
  /** Log-likelihood ratio, regression over none, from the canary's own requests. */
  readonly absolute: number;
  /** Set once the evidence reached the pass boundary: a pass stays a pass unless it later fails. */
  readonly passed?: boolean;
}

export const NO_EVIDENCE: ErrorEvidence = {
  canary: { requests: 0, errors: 0 },
  stable: { requests: 0, errors: 0 },
  relative: 0,
  absolute: 0,
};

export interface Boundaries {
  /** Both ratios at or above this: roll back. */
  readonly fail: number;
  /** Either ratio at or below this: pass. */
  readonly pass: number;
}

export function boundaries(s: SequentialSettings): Boundaries {
  return { fail: Math.log(1 / s.falseRollback), pass: Math.log(s.missedRegression / 2) };
}

/** Counters that went back (a router restart) or more errors than requests are clamped, never negative. */
function clean(c: Counts): Counts {
  const requests = Math.max(0, c.requests);
  return { requests, errors: Math.min(requests, Math.max(0, c.errors)) };
}

/** The stable track's error ratio as the reference: half an error of prior weight keeps it off 0. */
export function referenceRatio(stable: Counts): number {
  return (stable.errors + 0.5) / (stable.requests + 1);
}

/** The canary's error ratio under the regression, for a stable ratio p. */
export function regressedRatio(p: number, s: SequentialSettings): number {
  return Math.min(0.999, Math.max(p * s.factor, p + s.margin));
}

/** Evidence from one batch of counter deltas (requests and errors per track since the last update). */
export function addBatch(
  evidence: ErrorEvidence,
  canaryDelta: Counts,
  stableDelta: Counts,
  s: SequentialSettings,
): ErrorEvidence {
  const c = clean(canaryDelta);
  const st = clean(stableDelta);
  const stable = { requests: evidence.stable.requests + st.requests, errors: evidence.stable.errors + st.errors };
  const canary = { requests: evidence.canary.requests + c.requests, errors: evidence.canary.errors + c.errors };
  let relative = evidence.relative;
  if (c.requests > 0 && st.requests > 0) {
    const share0 = c.requests / (c.requests + st.requests);
    const share1 = (s.factor * c.requests) / (s.factor * c.requests + st.requests);
    relative += c.errors * Math.log(share1 / share0) + st.errors * Math.log((1 - share1) / (1 - share0));
  }
  let absolute = evidence.absolute;
  if (c.requests > 0) {
    const p0 = referenceRatio(stable);
    const p1 = regressedRatio(p0, s);
    absolute += c.errors * Math.log(p1 / p0) + (c.requests - c.errors) * Math.log((1 - p1) / (1 - p0));
  }
  const next = { canary, stable, relative, absolute, ...(evidence.passed ? { passed: true } : {}) };
  const b = boundaries(s);
  return !next.passed && (relative <= b.pass || absolute <= b.pass) ? { ...next, passed: true } : next;
}

export type Decision = 'fail' | 'pass' | 'undecided';

/**
 * Where the evidence stands. `truncated` is the last look (the stage's time for a verdict ran
 * out, low traffic): an undecided test then passes, because a rollback without the evidence
 * would spend more than the false-rollback rate; the words say the missed-regression guarantee
 * was not reached. (Deciding by where the evidence leans, Wald's truncation, rolled back 6% of
 * good canaries at 10 requests/s in bench/gates.)
 */
export function decide(e: ErrorEvidence, s: SequentialSettings, truncated = false): Decision {
  const b = boundaries(s);
  if (e.relative >= b.fail && e.absolute >= b.fail) return 'fail';
  if (e.passed || truncated) return 'pass';
  return 'undecided';
}

const pct = (n: number) => `${(n * 100).toFixed(2)}%`;
const ratioOf = (c: Counts) => (c.requests === 0 ? 0 : c.errors / c.requests);

/** What it would take to decide from here, in requests: the fewest canary failures to fail, clean canary requests to pass. */
export function needed(e: ErrorEvidence, s: SequentialSettings): { failures: number; cleanRequests: number } {
  const b = boundaries(s);
  const p0 = referenceRatio(e.stable);
  const p1 = regressedRatio(p0, s);
  const share0 = e.canary.requests > 0 ? e.canary.requests / (e.canary.requests + e.stable.requests) : 0.05;
  const share1 = (s.factor * share0) / (s.factor * share0 + 1 - share0);
  const toFail = (gap: number, perFailure: number) => Math.max(0, Math.ceil(gap / perFailure));
  const failures = Math.max(
    toFail(b.fail - e.relative, Math.log(share1 / share0)),
    toFail(b.fail - e.absolute, Math.log(p1 / p0)),
  );
  const perClean = -Math.log((1 - p1) / (1 - p0));
  const cleanRequests = Math.max(0, Math.ceil((e.absolute - b.pass) / perClean));
  return { failures, cleanRequests };
}

/** What the counted events are called in a verdict: failed requests, or answers slower than a bound. */
export interface EventWords {
  /** The counted events, before their counts: `errors`. */
  readonly events: string;
  /** Where the first likelihood ratio looks: `failure origin`. */
  readonly origin: string;
  /** One more event on the canary: `canary failures`. */
  readonly bad: string;
  /** One more request without the event: `clean canary requests`. */
  readonly good: string;
}

export const ERROR_WORDS: EventWords = {
  events: 'errors',
  origin: 'failure origin',
  bad: 'canary failures',
  good: 'clean canary requests',
};

/** The verdict in words and numbers: observed rates, the evidence so far, and what a decision needs. */
export function describeEvidence(
  e: ErrorEvidence,
  s: SequentialSettings,
  decision: Decision,
  words: EventWords = ERROR_WORDS,
): string {
  const b = boundaries(s);
  const rates = `${words.events} ${e.canary.errors}/${e.canary.requests} (${pct(ratioOf(e.canary))}) vs stable ${e.stable.errors}/${e.stable.requests} (${pct(ratioOf(e.stable))})`;
  const evidence = `evidence of a regression (×${s.factor} and +${pct(s.margin)}): by ${words.origin} ${e.relative.toFixed(2)}, by the canary's own requests ${e.absolute.toFixed(2)} (log-likelihood ratios; roll back at ${b.fail.toFixed(2)} for both, pass at ${b.pass.toFixed(2)} for either)`;
  const need = needed(e, s);
  switch (decision) {
    case 'fail':
      return `${rates}; ${evidence}: a regression, with at most ${pct(s.falseRollback)} chance of a false rollback`;
    case 'pass':
      return e.passed
        ? `${rates}; ${evidence}: no regression, with at most ${pct(s.missedRegression)} chance of missing one`
        : `${rates}; out of time with ${evidence}: passed without the ${pct(s.missedRegression)} missed-regression guarantee (about ${need.cleanRequests} more ${words.good} would have given it)`;
    case 'undecided':
      return `${rates}; ${evidence}: undecided — about ${need.cleanRequests} more ${words.good} to pass, ${need.failures} more ${words.bad} to roll back`;
  }
}
