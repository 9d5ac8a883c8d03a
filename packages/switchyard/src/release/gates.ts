import type { Gate, Stage } from '../spec/index.js';
import type { GateResult, Measurement, ReleaseSettings, TrackCounters, Verdict } from './types.js';

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

function check(
  gate: Gate,
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

/**
 * Judges a stage from the counters since it began: inconclusive below the minimum traffic,
 * failed when any gate fails, passed otherwise.
 */
export function evaluate(
  at: string,
  stage: Stage,
  settings: ReleaseSettings,
  stableTrack: string,
  baseline: Measurement,
  current: Measurement,
): Verdict {
  const track = judgedTrack(stage, stableTrack);
  const judged = delta(current.tracks[track], baseline.tracks[track]);
  const stable = delta(current.tracks[stableTrack], baseline.tracks[stableTrack]);
  if (stage.gates.length > 0 && judged.requests < settings.minRequests) {
    return {
      at,
      stage: stage.name,
      outcome: 'inconclusive',
      requests: judged.requests,
      gates: [],
      summary: `${track} answered ${judged.requests} of the ${settings.minRequests} requests needed for a verdict`,
    };
  }
  const gates = stage.gates.map((g) => check(g, judged, stable, track === stableTrack, current));
  const failed = gates.filter((g) => !g.ok);
  const unknown = failed.filter((g) => g.value === null);
  if (unknown.length > 0 && unknown.length === failed.length) {
    return {
      at,
      stage: stage.name,
      outcome: 'inconclusive',
      requests: judged.requests,
      gates,
      summary: `no value yet for ${unknown.map((g) => g.gate).join(', ')}`,
    };
  }
  const describe = (g: GateResult) =>
    `${g.gate} ${g.value === null ? 'no value' : g.gate.includes('ratio') ? pct(g.value) : g.value} (${g.threshold})`;
  if (failed.length > 0) {
    return {
      at,
      stage: stage.name,
      outcome: 'fail',
      requests: judged.requests,
      gates,
      summary: `${track} failed ${failed.map(describe).join(', ')} over ${judged.requests} requests`,
    };
  }
  return {
    at,
    stage: stage.name,
    outcome: 'pass',
    requests: judged.requests,
    gates,
    summary:
      gates.length === 0
        ? 'no gates'
        : `${track} passed ${gates.map(describe).join(', ')} over ${judged.requests} requests`,
  };
}
