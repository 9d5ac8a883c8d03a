import { LATENCY_PERCENTILES, type Gate, type Stage } from '../spec/index.js';
import {
  NO_EVIDENCE,
  addBatch,
  addLatencyBatch,
  boundaries,
  decide,
  describeEvidence,
  histogramDelta,
  quantileBound,
  type Decision,
  type ErrorEvidence,
  type EventWords,
  type Histogram,
  type SequentialSettings,
} from './judge/index.js';
import type { GateResult, Judgement, Measurement, ReleaseSettings, TrackCounters, Verdict } from './types.js';

const ZERO: TrackCounters = { requests: 0, errors: 0, responseTimeMs: 0 };

/** Counters since the baseline; a router restart resets its counters, so a drop means "since then". */
export function delta(current: TrackCounters | undefined, baseline: TrackCounters | undefined): TrackCounters {
  const now = current ?? ZERO;
  const before = baseline ?? ZERO;
  if (now.requests < before.requests || now.errors < before.errors) return now;
  // A router restart between two reads can leave more errors than requests in the difference.
  return {
    requests: now.requests - before.requests,
    errors: now.errors - before.errors,
    responseTimeMs: now.responseTimeMs,
  };
}

function ratio(c: TrackCounters): number {
  return c.requests === 0 ? 0 : c.errors / c.requests;
}

const pct = (n: number) => `${(n * 100).toFixed(2)}%`;

/** The track a stage is judged on: the one it deploys to, else the stable one (migrations, share-only stages). */
export function judgedTrack(stage: Stage, stableTrack: string): string {
  return stage.track ?? stableTrack;
}

type SequentialGate = Extract<Gate, { metric: 'errors-vs-stable' }>;
type LatencyGate = Extract<Gate, { metric: 'latency-vs-stable' }>;

export function sequentialSettings(gate: SequentialGate | LatencyGate): SequentialSettings {
  return {
    falseRollback: gate.falseRollback,
    missedRegression: gate.missedRegression,
    factor: gate.regression.factor,
    margin: gate.regression.margin,
  };
}

/**
 * A latency gate's test per percentile: the false-rollback rate is shared between its
 * percentiles (a rollback when any one says "regression" stays within the gate's rate); each
 * keeps the whole missed-regression rate (a regression of one percentile passes only if its own
 * test passes it).
 */
export function latencySettings(gate: LatencyGate): SequentialSettings {
  const s = sequentialSettings(gate);
  return { ...s, falseRollback: s.falseRollback / LATENCY_PERCENTILES[gate.compare].length };
}

/** A judgement that starts from these counters: the evidence of every sequential gate starts at none. */
export function startJudgement(m: Measurement): Judgement {
  return { last: m.tracks, evidence: [] };
}

/**
 * The sequential gates' evidence after one more counter update: the batch is what each track
 * answered since the last update (the judged track against the stable one, in the same window).
 */
function accumulate(
  stage: Stage,
  stableTrack: string,
  judgement: Judgement,
  current: Measurement,
): readonly ErrorEvidence[] {
  const track = judgedTrack(stage, stableTrack);
  const canary = delta(current.tracks[track], judgement.last[track]);
  const stable = delta(current.tracks[stableTrack], judgement.last[stableTrack]);
  return stage.gates
    .filter((g): g is SequentialGate => g.metric === 'errors-vs-stable')
    .map((g, i) => {
      const before = judgement.evidence[i] ?? NO_EVIDENCE;
      return track === stableTrack ? before : addBatch(before, canary, stable, sequentialSettings(g));
    });
}

/**
 * The latency gates' evidence after one more counter update, per gate and percentile: the
 * canary's and the stable track's answers in the batch slower than the stable track's
 * percentile as it stood before the batch (no histogram from the router: no evidence).
 */
function accumulateLatency(
  stage: Stage,
  stableTrack: string,
  judgement: Judgement,
  current: Measurement,
): readonly (readonly ErrorEvidence[])[] {
  const track = judgedTrack(stage, stableTrack);
  const stableBefore = judgement.last[stableTrack]?.latency;
  const batch = (name: string): Histogram | undefined => {
    const now = current.tracks[name]?.latency;
    return now ? histogramDelta(now, judgement.last[name]?.latency) : undefined;
  };
  const canary = batch(track);
  const stable = batch(stableTrack);
  return stage.gates
    .filter((g): g is LatencyGate => g.metric === 'latency-vs-stable')
    .map((g, i) =>
      LATENCY_PERCENTILES[g.compare].map((q, j) => {
        const before = judgement.latency?.[i]?.[j] ?? NO_EVIDENCE;
        if (track === stableTrack || !canary || !stable || !stableBefore) return before;
        return addLatencyBatch(before, quantileBound(stableBefore, q), canary, stable, latencySettings(g));
      }),
    );
}

type Judged = GateResult & { readonly waiting?: string };

function sequential(
  gate: SequentialGate,
  evidence: ErrorEvidence,
  judgedIsStable: boolean,
  enoughRequests: boolean,
  final: boolean,
): Judged {
  const s = sequentialSettings(gate);
  const threshold = `no regression of ×${s.factor} and +${pct(s.margin)} over stable (false rollback ≤ ${pct(s.falseRollback)}, missed regression ≤ ${pct(s.missedRegression)})`;
  if (judgedIsStable) return stableItself(gate.metric, threshold);
  const decision = decide(evidence, s, final);
  // A team's minimum traffic holds a pass back, never a rollback.
  const outcome = decision === 'pass' && !enoughRequests && !final ? 'undecided' : decision;
  return judged(gate.metric, threshold, outcome, describeEvidence(evidence, s, outcome), evidence, s);
}

/** A gate comparing with the stable track, on the stable track itself (migrations, share-only stages). */
const stableItself = (gate: string, threshold: string): Judged => ({
  gate,
  value: 0,
  threshold,
  ok: true,
  detail: 'the stable track itself: nothing to compare with',
});

/** A sequential gate's result: the canary's event ratio as its value, the evidence with both boundaries. */
function judged(
  gate: string,
  threshold: string,
  outcome: Decision,
  detail: string,
  evidence: ErrorEvidence,
  s: SequentialSettings,
): Judged {
  const b = boundaries(s);
  return {
    gate,
    value: evidence.canary.requests === 0 ? 0 : evidence.canary.errors / evidence.canary.requests,
    threshold,
    ok: outcome !== 'fail',
    detail,
    evidence: {
      canary: evidence.canary,
      stable: evidence.stable,
      relative: evidence.relative,
      absolute: evidence.absolute,
      failAt: b.fail,
      passAt: b.pass,
    },
    ...(outcome === 'undecided' ? { waiting: `${gate} ${detail}` } : {}),
  };
}

const percentile = (q: number) => `p${Math.round(q * 100)}`;
const ms = (seconds: number) =>
  seconds >= Number.MAX_VALUE ? 'the slowest bucket' : `${Math.round(seconds * 1000)} ms`;

function latencyWords(q: number, stable: Histogram | undefined): EventWords {
  const bound = stable ? quantileBound(stable, q) : undefined;
  return {
    events: `answers slower than the stable ${percentile(q)}${bound !== undefined ? ` (${ms(bound)})` : ''}`,
    origin: 'slow-answer origin',
    bad: 'slow canary answers',
    good: 'canary answers within it',
  };
}

/**
 * A latency gate's verdict: it fails when any percentile's test says "regression", passes when
 * every one says "none" (or time ran out), and waits otherwise.
 */
function latency(
  gate: LatencyGate,
  evidence: readonly ErrorEvidence[],
  stableHistogram: Histogram | undefined,
  judgedIsStable: boolean,
  enoughRequests: boolean,
  final: boolean,
): Judged {
  const s = latencySettings(gate);
  const percentiles = LATENCY_PERCENTILES[gate.compare];
  const threshold = `no regression of ×${s.factor} and +${pct(s.margin)} in answers slower than the stable ${percentiles.map(percentile).join(', ')} (false rollback ≤ ${pct(gate.falseRollback)}, missed regression ≤ ${pct(s.missedRegression)})`;
  if (judgedIsStable) return stableItself(gate.metric, threshold);
  const decisions: Decision[] = percentiles.map((_, i) => decide(evidence[i] ?? NO_EVIDENCE, s, final));
  const decision: Decision = decisions.includes('fail')
    ? 'fail'
    : decisions.every((d) => d === 'pass')
      ? 'pass'
      : 'undecided';
  const outcome = decision === 'pass' && !enoughRequests && !final ? 'undecided' : decision;
  const parts = percentiles.map((q, i) =>
    describeEvidence(evidence[i] ?? NO_EVIDENCE, s, decisions[i]!, latencyWords(q, stableHistogram)),
  );
  const detail = stableHistogram
    ? parts.join('; ')
    : `no response-time histogram from the router yet${outcome === 'pass' ? ': passed without the missed-regression guarantee' : ''}`;
  // The percentile closest to a rollback speaks for the gate.
  const worst = percentiles
    .map((_, i) => evidence[i] ?? NO_EVIDENCE)
    .reduce((a, b) => (Math.min(b.relative, b.absolute) > Math.min(a.relative, a.absolute) ? b : a));
  return judged(gate.metric, threshold, outcome, detail, worst, s);
}

function check(
  gate: Exclude<Gate, SequentialGate | LatencyGate>,
  judged: TrackCounters,
  stable: TrackCounters,
  judgedIsStable: boolean,
  measurement: Measurement,
): GateResult {
  switch (gate.metric) {
    case 'error-ratio': {
      const value = ratio(judged);
      return { gate: 'error-ratio', value, threshold: `≤ ${pct(gate.max)}`, ok: value <= gate.max };
    }
    case 'error-ratio-vs-stable': {
      // On the stable track itself there is nothing to compare with.
      const value = judgedIsStable ? 0 : ratio(judged) - ratio(stable);
      return {
        gate: 'error-ratio-vs-stable',
        value,
        threshold: `≤ +${pct(gate.max)} over stable (${pct(ratio(stable))})`,
        ok: value <= gate.max,
      };
    }
    case 'response-time': {
      const value = judged.responseTimeMs;
      return { gate: 'response-time', value, threshold: `≤ ${gate.maxMs} ms`, ok: value <= gate.maxMs };
    }
    case 'prometheus': {
      const value = measurement.prometheus?.[gate.name] ?? null;
      const threshold = [gate.min !== undefined ? `≥ ${gate.min}` : '', gate.max !== undefined ? `≤ ${gate.max}` : '']
        .filter(Boolean)
        .join(' and ');
      const ok =
        value !== null &&
        (gate.max === undefined || value <= gate.max) &&
        (gate.min === undefined || value >= gate.min);
      return { gate: `prometheus:${gate.name}`, value, threshold, ok };
    }
  }
}

export interface Evaluation {
  readonly at: string;
  readonly stage: Stage;
  readonly settings: ReleaseSettings;
  readonly stableTrack: string;
  /** Counters when the stage began. */
  readonly baseline: Measurement;
  readonly current: Measurement;
  /** Where the sequential gates stood at the last update (none: from the baseline). */
  readonly judgement?: Judgement;
  /** The stage's time for a verdict ran out: sequential gates decide by where their evidence leans. */
  readonly final?: boolean;
}

const describe = (g: GateResult) =>
  g.detail !== undefined
    ? `${g.gate} (${g.detail})`
    : `${g.gate} ${g.value === null ? 'no value' : g.gate.includes('ratio') ? pct(g.value) : g.value} (${g.threshold})`;

/**
 * Judges a stage from the counters since it began, gate by gate: sequential gates on every
 * counter update (a rollback as soon as the evidence is enough, whatever the traffic so far),
 * threshold gates once the judged track has answered the minimum traffic. The stage fails when
 * any gate fails, waits while any is undecided, and passes when all pass.
 */
export function evaluate(e: Evaluation): { verdict: Verdict; judgement: Judgement } {
  const { at, stage, settings, stableTrack, current } = e;
  const track = judgedTrack(stage, stableTrack);
  const judged = delta(current.tracks[track], e.baseline.tracks[track]);
  const stable = delta(current.tracks[stableTrack], e.baseline.tracks[stableTrack]);
  const judgedIsStable = track === stableTrack;
  const before = e.judgement ?? startJudgement(e.baseline);
  const evidence = accumulate(stage, stableTrack, before, current);
  const latencyEvidence = accumulateLatency(stage, stableTrack, before, current);
  const judgement: Judgement = {
    last: current.tracks,
    evidence,
    ...(latencyEvidence.length > 0 ? { latency: latencyEvidence } : {}),
  };
  const enoughRequests = judged.requests >= settings.minRequests;
  let sequentialIndex = 0;
  let latencyIndex = 0;
  const results: Judged[] = stage.gates.map((g) => {
    if (g.metric === 'errors-vs-stable')
      return sequential(
        g,
        evidence[sequentialIndex++] ?? NO_EVIDENCE,
        judgedIsStable,
        enoughRequests,
        e.final ?? false,
      );
    if (g.metric === 'latency-vs-stable')
      return latency(
        g,
        latencyEvidence[latencyIndex++] ?? [],
        current.tracks[stableTrack]?.latency,
        judgedIsStable,
        enoughRequests,
        e.final ?? false,
      );
    if (!enoughRequests)
      return {
        gate: g.metric === 'prometheus' ? `prometheus:${g.name}` : g.metric,
        value: null,
        threshold: `at least ${settings.minRequests} requests`,
        ok: true,
        waiting: `${track} answered ${judged.requests} of the ${settings.minRequests} requests needed for a verdict`,
      };
    const r = check(g, judged, stable, judgedIsStable, current);
    return r.ok || r.value !== null ? r : { ...r, ok: true, waiting: `no value yet for ${r.gate}` };
  });
  const gates: GateResult[] = results.map(({ waiting: _w, ...g }) => g);
  const base = { at, stage: stage.name, requests: judged.requests };
  const failed = results.filter((g) => !g.ok);
  const waiting = [...new Set(results.flatMap((g) => (g.waiting !== undefined ? [g.waiting] : [])))];
  const verdict: Verdict =
    failed.length > 0
      ? {
          ...base,
          outcome: 'fail',
          gates,
          summary: `${track} failed ${failed.map(describe).join(', ')} over ${judged.requests} requests`,
        }
      : waiting.length > 0
        ? {
            ...base,
            outcome: 'inconclusive',
            gates: gates.filter((g) => g.value !== null),
            summary: waiting.join('; '),
          }
        : {
            ...base,
            outcome: 'pass',
            gates,
            summary:
              gates.length === 0
                ? 'no gates'
                : `${track} passed ${gates.map(describe).join(', ')} over ${judged.requests} requests`,
          };
  return { verdict, judgement };
}
