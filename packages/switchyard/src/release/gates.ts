import type { Gate, Stage } from '../spec/index.js';
import {
  NO_EVIDENCE,
  addBatch,
  boundaries,
  decide,
  describeEvidence,
  type ErrorEvidence,
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

export function sequentialSettings(gate: SequentialGate): SequentialSettings {
  return {
    falseRollback: gate.falseRollback,
    missedRegression: gate.missedRegression,
    factor: gate.regression.factor,
    margin: gate.regression.margin,
  };
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
  if (judgedIsStable)
    return {
      gate: gate.metric,
      value: 0,
      threshold,
      ok: true,
      detail: 'the stable track itself: nothing to compare with',
    };
  const decision = decide(evidence, s, final);
  // A team's minimum traffic holds a pass back, never a rollback.
  const outcome = decision === 'pass' && !enoughRequests && !final ? 'undecided' : decision;
  const b = boundaries(s);
  const detail = describeEvidence(evidence, s, outcome);
  return {
    gate: gate.metric,
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
    ...(outcome === 'undecided' ? { waiting: `${gate.metric} ${detail}` } : {}),
  };
}

function check(
  gate: Exclude<Gate, SequentialGate>,
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
  const evidence = accumulate(stage, stableTrack, e.judgement ?? startJudgement(e.baseline), current);
  const judgement: Judgement = { last: current.tracks, evidence };
  const enoughRequests = judged.requests >= settings.minRequests;
  let sequentialIndex = 0;
  const results: Judged[] = stage.gates.map((g) => {
    if (g.metric === 'errors-vs-stable')
      return sequential(
        g,
        evidence[sequentialIndex++] ?? NO_EVIDENCE,
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
