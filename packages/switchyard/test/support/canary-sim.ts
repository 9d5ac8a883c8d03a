import {
  createRelease,
  transition,
  type Command,
  type ReleaseEvent,
  type ReleaseState,
} from '../../src/release/index.js';
import { initialRouting } from '../../src/router/index.js';
import type { Service } from '../../src/spec/index.js';
import { baseTexts, serviceOf, setIn } from './config.js';
import type { Random } from './random.js';

/**
 * Simulated canary stages, many of them: one traffic group's requests arrive second by second
 * (Poisson), a share goes to the canary track, each request fails at its version's error ratio,
 * and the release machine itself judges the stage, measuring the counters at its interval and
 * running its commands at once (a cut takes no time here: the figures are the judgement's own).
 * Flagger's interval × threshold analysis is simulated beside it on the same kind of traffic.
 */

export type Judge = 'sequential' | 'ratio' | 'flagger';

export interface Scenario {
  /** Requests per second to the traffic group. */
  readonly rps: number;
  /** The canary's share of the group, 0..1. */
  readonly share: number;
  readonly stableRate: number;
  readonly canaryRate: number;
  /** The simulation gives up (undecided) after this long. */
  readonly maxSeconds?: number;
}

export interface StageResult {
  readonly outcome: 'rolled-back' | 'passed' | 'undecided';
  /** Failed requests the canary served before traffic left it. */
  readonly failedServed: number;
  /** From the stage's start to its verdict: the cut, or the pass. */
  readonly verdictSeconds: number;
}

const CANARY = 'free';
const STABLE = 'production';

/** The release settings each judge runs with: the shipped defaults of the time. */
const RELEASE: Record<Exclude<Judge, 'flagger'>, Record<string, unknown>> = {
  // Today's defaults: gates of the defaults file, read every second.
  sequential: {},
  // The defaults before sequential judgement: two ratio gates read every 10 s after 50 requests.
  ratio: {
    interval: '10s',
    minRequests: 50,
    inconclusiveAfter: '10m',
    gates: [
      { metric: 'error-ratio-vs-stable', max: 0.01 },
      { metric: 'error-ratio', max: 0.05 },
    ],
  },
};

export function simulatedService(judge: Exclude<Judge, 'flagger'>): Service {
  const texts = baseTexts();
  texts['services/api.yaml'] = setIn(texts['services/api.yaml'] as string, 'release', {
    ...RELEASE[judge],
    stages: [
      { name: 'canary', track: CANARY, shares: { free: 5 }, duration: '5m' },
      { name: 'all', track: STABLE, duration: '5m' },
    ],
  });
  return serviceOf(texts);
}

class World {
  readonly versions: Record<string, string>;
  readonly shares: Record<string, number>;
  readonly counters: Record<string, { requests: number; errors: number }> = {};
  failedServed = 0;

  constructor(
    svc: Service,
    private readonly random: Random,
    private readonly scenario: Scenario,
  ) {
    this.versions = Object.fromEntries(svc.tracks.map((t) => [t.name, t.version]));
    this.shares = { ...initialRouting(svc).shares };
    for (const t of svc.tracks) this.counters[t.name] = { requests: 0, errors: 0 };
  }

  private rate(track: string): number {
    return this.versions[track] === 'new' ? this.scenario.canaryRate : this.scenario.stableRate;
  }

  /** One second of the group's traffic through the router's split. */
  second(): void {
    const share = ((this.shares[CANARY] ?? 0) / 5) * this.scenario.share;
    const canary = this.random.poisson(this.scenario.rps * share);
    const stable = this.random.poisson(this.scenario.rps * (1 - share));
    for (const [track, n] of [
      [CANARY, canary],
      [STABLE, stable],
    ] as const) {
      const errors = this.random.binomial(n, this.rate(track));
      const c = this.counters[track] as { requests: number; errors: number };
      c.requests += n;
      c.errors += errors;
      if (track === CANARY && this.versions[track] === 'new') this.failedServed += errors;
    }
  }

  run(
    command: Command,
  ): { tracks: Record<string, { requests: number; errors: number; responseTimeMs: number }> } | undefined {
    if (command.kind === 'set-track') this.versions[command.track] = command.version;
    if (command.kind === 'set-share') this.shares[command.group] = command.share;
    if (command.kind === 'snapshot' || command.kind === 'measure')
      return {
        tracks: Object.fromEntries(Object.entries(this.counters).map(([t, c]) => [t, { ...c, responseTimeMs: 5 }])),
      };
    return undefined;
  }
}

function step(world: World, state: ReleaseState, event: ReleaseEvent, at: string): ReleaseState {
  const first = transition(state, event);
  let current = first.state;
  const queue = [...first.commands];
  while (queue.length > 0) {
    const next = queue.shift() as (typeof queue)[number];
    const result = world.run(next.command);
    const done = transition(current, { type: 'command-done', at, seq: next.seq, ...(result ? { result } : {}) });
    current = done.state;
    queue.push(...done.commands);
  }
  return current;
}

/** One canary stage judged by the release machine with `svc`'s gates. */
export function simulateMachine(svc: Service, scenario: Scenario, random: Random): StageResult {
  const world = new World(svc, random, scenario);
  let now = Date.parse('2026-12-01T20:00:00Z');
  const at = () => new Date(now).toISOString();
  const release = createRelease({
    id: 'sim',
    service: svc,
    version: 'new',
    plan: 'default',
    stages: svc.release.plans.default ?? [],
    current: { versions: { ...world.versions }, routing: { shares: { ...world.shares }, legacyShare: 0 } },
    by: 'sim',
    reason: 'simulation',
  });
  let state = step(world, release, { type: 'start', at: at() }, at());
  const maxSeconds = scenario.maxSeconds ?? 900;
  let passedAt: number | undefined;
  for (let t = 1; t <= maxSeconds; t++) {
    now += 1000;
    world.second();
    state = step(world, state, { type: 'tick', at: at() }, at());
    if (state.status === 'rolled-back' || state.status === 'rolling-back')
      return { outcome: 'rolled-back', failedServed: world.failedServed, verdictSeconds: t };
    // A sequential gate's pass is a decision (it is kept); a threshold gate's only the stage's end makes final.
    if (passedAt === undefined && state.stage === 0 && state.judgement?.evidence[0]?.passed) passedAt = t;
    if (state.stage > 0) return { outcome: 'passed', failedServed: world.failedServed, verdictSeconds: passedAt ?? t };
  }
  return { outcome: 'undecided', failedServed: world.failedServed, verdictSeconds: maxSeconds };
}

/** Flagger's analysis: every interval, the canary's error ratio over that interval against a threshold. */
export interface FlaggerAnalysis {
  readonly intervalSeconds: number;
  /** Failed checks that roll back. */
  readonly threshold: number;
  /** Checks after which the canary is promoted. */
  readonly iterations: number;
  /** Highest error ratio a check passes (Flagger's request-success-rate 99%). */
  readonly maxErrorRatio: number;
}

export const FLAGGER: FlaggerAnalysis = { intervalSeconds: 60, threshold: 5, iterations: 10, maxErrorRatio: 0.01 };

export function simulateFlagger(scenario: Scenario, random: Random, analysis: FlaggerAnalysis = FLAGGER): StageResult {
  let failedServed = 0;
  let failedChecks = 0;
  let window = { requests: 0, errors: 0 };
  for (let check = 1; check <= analysis.iterations; check++) {
    for (let s = 0; s < analysis.intervalSeconds; s++) {
      const n = random.poisson(scenario.rps * scenario.share);
      const errors = random.binomial(n, scenario.canaryRate);
      random.binomial(random.poisson(scenario.rps * (1 - scenario.share)), scenario.stableRate);
      failedServed += errors;
      window = { requests: window.requests + n, errors: window.errors + errors };
    }
    if (window.requests === 0 || window.errors / window.requests > analysis.maxErrorRatio) failedChecks++;
    window = { requests: 0, errors: 0 };
    if (failedChecks >= analysis.threshold)
      return { outcome: 'rolled-back', failedServed, verdictSeconds: check * analysis.intervalSeconds };
  }
  return { outcome: 'passed', failedServed, verdictSeconds: analysis.iterations * analysis.intervalSeconds };
}

export function simulate(
  judge: Judge,
  scenario: Scenario,
  random: Random,
  services?: Map<Judge, Service>,
): StageResult {
  if (judge === 'flagger') return simulateFlagger(scenario, random);
  const svc = services?.get(judge) ?? simulatedService(judge);
  services?.set(judge, svc);
  return simulateMachine(svc, scenario, random);
}
