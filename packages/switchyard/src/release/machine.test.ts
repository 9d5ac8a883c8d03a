import { describe, expect, it } from 'vitest';
import { baseTexts, serviceOf, setIn } from '../../test/support/config.js';
import type { Service } from '../spec/index.js';
import { initialRouting } from '../router/index.js';
import { allowedActions, createRelease, transition } from './machine.js';
import type { Command, Measurement, ReleaseEvent, ReleaseState, SequencedCommand } from './types.js';

/**
 * The engine driven by a simulated world: commands change a model of the fleet, traffic
 * flows through it at a chosen error rate per version, and every state survives JSON.
 */

function service(extra: Record<string, unknown> = {}): Service {
  const texts = baseTexts();
  let svc = setIn(texts['services/api.yaml'] as string, 'release', {
    minRequests: 100,
    interval: '10s',
    inconclusiveAfter: '2m',
    ...extra,
  });
  svc = setIn(svc, 'version', '1.0.0');
  texts['services/api.yaml'] = svc;
  return serviceOf(texts);
}

class World {
  versions: Record<string, string>;
  shares: Record<string, number>;
  legacyShare: number;
  pinned: Record<string, string> = {};
  counters: Record<string, { requests: number; errors: number }> = {};
  log: Command[] = [];
  now = Date.parse('2026-11-23T10:00:00Z');
  /** The freeze window measurements are taken in, if any. */
  hold: string | undefined;

  constructor(
    svc: Service,
    readonly errorRate: (version: string) => number,
  ) {
    this.versions = Object.fromEntries(svc.tracks.map((t) => [t.name, t.version]));
    this.shares = { ...initialRouting(svc).shares };
    this.legacyShare = initialRouting(svc).legacyShare;
    for (const t of svc.tracks) this.counters[t.name] = { requests: 0, errors: 0 };
  }

  /** Sends `n` requests to a track at the error rate of the version it runs. */
  traffic(track: string, n: number): void {
    const c = this.counters[track] as { requests: number; errors: number };
    c.requests += n;
    c.errors += Math.round(n * this.errorRate(this.versions[track] as string));
  }

  measurement(): Measurement {
    return {
      tracks: Object.fromEntries(Object.entries(this.counters).map(([t, c]) => [t, { ...c, responseTimeMs: 5 }])),
    };
  }

  at(): string {
    return new Date(this.now).toISOString();
  }

  run(command: Command): Measurement | undefined {
    this.log.push(command);
    switch (command.kind) {
      case 'set-track':
        this.versions[command.track] = command.version;
        return undefined;
      case 'set-share':
        this.shares[command.group] = command.share;
        return undefined;
      case 'route-group':
        this.pinned[command.group] = command.track;
        return undefined;
      case 'set-legacy-share':
        this.legacyShare = command.share;
        return undefined;
      case 'snapshot':
      case 'measure':
        return this.measurement();
      default:
        return undefined;
    }
  }
}

/** Applies an event, runs the emitted commands in order (feeding results back), checks the JSON round trip. */
function step(world: World, state: ReleaseState, event: ReleaseEvent): ReleaseState {
  const result = transition(state, event);
  expect(JSON.parse(JSON.stringify(result.state))).toEqual(result.state);
  let current = result.state;
  const queue: SequencedCommand[] = [...result.commands];
  while (queue.length > 0) {
    const next = queue.shift() as SequencedCommand;
    const measurement = world.run(next.command);
    const hold = next.command.kind === 'measure' ? world.hold : undefined;
    const done = transition(current, {
      type: 'command-done',
      at: world.at(),
      seq: next.seq,
      ...(measurement ? { result: measurement } : {}),
      ...(hold ? { hold } : {}),
    });
    current = done.state;
    queue.push(...done.commands);
  }
  return current;
}

/** Lets time pass in ticks of 10 s, with traffic on every track, until `until` says stop. */
function observe(world: World, state: ReleaseState, seconds: number, perTick = 100): ReleaseState {
  for (let t = 0; t < seconds; t += 10) {
    world.now += 10_000;
    for (const track of Object.keys(world.counters)) world.traffic(track, perTick);
    state = step(world, state, { type: 'tick', at: world.at() });
    if (state.phase === 'done') break;
  }
  return state;
}

function begin(svc: Service, world: World, version: string, plan = 'default'): ReleaseState {
  const state = createRelease({
    id: 'r1',
    service: svc,
    version,
    plan,
    stages: svc.release.plans[plan] ?? [],
    current: {
      versions: { ...world.versions },
      routing: { shares: { ...world.shares }, legacyShare: world.legacyShare },
    },
    by: 'ana',
    reason: 'test',
  });
  return step(world, state, { type: 'start', at: world.at() });
}

describe('release engine', () => {
  it("walks a good version through Bitmovin's four stages, waiting for approval after internal", () => {
    const svc = service();
    expect(svc.release.plans.default?.map((s) => [s.name, s.approval, s.shares])).toEqual([
      ['internal', true, {}],
      ['free', false, { free: 5 }],
      ['paid', false, { paid: 5 }],
      ['production', false, {}],
    ]);
    const world = new World(svc, () => 0);
    let state = begin(svc, world, '2.0.0');
    expect(world.log.map((c) => c.kind)).toEqual(['set-track', 'record', 'notify', 'snapshot']);
    expect(state.phase).toBe('observing');
    state = observe(world, state, 330);
    expect(state.phase).toBe('awaiting-approval');
    expect(world.versions).toEqual({ internal: '2.0.0', free: '1.0.0', paid: '1.0.0', production: '1.0.0' });
    state = step(world, state, { type: 'approve', at: world.at(), by: 'qa' });
    expect(world.versions.free).toBe('2.0.0');
    state = observe(world, state, 330);
    expect(world.versions.paid).toBe('2.0.0');
    state = observe(world, state, 330);
    expect(world.versions.production).toBe('2.0.0');
    state = observe(world, state, 330);
    expect(state.status).toBe('succeeded');
    expect(state.phase).toBe('done');
    expect(world.versions).toEqual({ internal: '2.0.0', free: '2.0.0', paid: '2.0.0', production: '2.0.0' });
    expect(world.shares).toEqual({ free: 5, paid: 5 });
    expect(world.log.filter((c) => c.kind === 'record')).toHaveLength(5);
    expect(allowedActions(state)).toEqual([]);
  });

  it('rolls a bad version back at its first public stage: traffic leaves first, then replicas', () => {
    const svc = service();
    const world = new World(svc, (v) => (v === '2.0.0-bad' ? 0.2 : 0.01));
    let state = begin(svc, world, '2.0.0-bad');
    state = step(world, state, { type: 'promote', at: world.at(), by: 'qa' });
    expect(world.versions.free).toBe('2.0.0-bad');
    const before = world.log.length;
    state = observe(world, state, 60);
    expect(state.status).toBe('rolled-back');
    const revert = world.log.slice(before).filter((c) => c.kind !== 'measure');
    expect(revert.slice(0, 5)).toEqual([
      { kind: 'set-share', group: 'free', share: 0 },
      { kind: 'route-group', group: 'internal', track: 'production' },
      { kind: 'set-track', track: 'internal', version: '1.0.0' },
      { kind: 'set-track', track: 'free', version: '1.0.0' },
      { kind: 'route-group', group: 'internal', track: 'internal' },
    ]);
    expect(world.versions).toEqual({ internal: '1.0.0', free: '1.0.0', paid: '1.0.0', production: '1.0.0' });
    expect(world.shares).toEqual({ free: 5, paid: 5 });
    const verdict = state.verdicts.at(-1);
    expect(verdict?.outcome).toBe('fail');
    expect(verdict?.summary).toMatch(
      /^free failed errors-vs-stable \(errors 20\/100 \(20\.00%\) vs stable 1\/100 \(1\.00%\); evidence of a regression \(×2 and \+1\.00%\): by failure origin 5\.35, by the canary's own requests 12\.65 .*: a regression, with at most 1\.00% chance of a false rollback\), error-ratio 20\.00% \(≤ 5\.00%\) over 100 requests$/,
    );
    expect(verdict?.gates[0]?.evidence).toMatchObject({ canary: { requests: 100, errors: 20 }, failAt: Math.log(100) });
    expect(state.outcome).toContain('stage free');
  });

  it('waits on too little traffic, then fails when the limit passes', () => {
    const svc = service();
    const world = new World(svc, () => 0);
    let state = begin(svc, world, '2.0.0');
    state = observe(world, state, 60, 5);
    expect(state.phase).toBe('observing');
    expect(state.verdicts.at(-1)?.outcome).toBe('inconclusive');
    expect(state.verdicts.at(-1)?.summary).toMatch(/internal answered \d+ of the 100 requests needed/);
    state = observe(world, state, 120, 0);
    expect(state.status).toBe('rolled-back');
    expect(state.outcome).toMatch(/not enough traffic for a verdict within 120 s/);
  });

  it('stops measuring while paused and carries on when resumed', () => {
    const svc = service();
    const world = new World(svc, () => 0);
    let state = begin(svc, world, '2.0.0');
    state = step(world, state, { type: 'pause', at: world.at(), by: 'ana' });
    expect(state.status).toBe('paused');
    const measures = world.log.filter((c) => c.kind === 'measure').length;
    state = observe(world, state, 600);
    expect(world.log.filter((c) => c.kind === 'measure').length).toBe(measures);
    expect(allowedActions(state)).toContain('resume');
    state = step(world, state, { type: 'resume', at: world.at(), by: 'ana' });
    state = observe(world, state, 30);
    expect(state.phase).toBe('awaiting-approval');
  });

  it('holds a passing stage during a freeze, still rolls a failing one back, and advances once the freeze ends', () => {
    const svc = service();
    const world = new World(svc, (v) => (v === '3.0.0-bad' ? 0.3 : 0));
    let state = begin(svc, world, '2.0.0');
    state = observe(world, state, 700);
    state = step(world, state, { type: 'approve', at: world.at(), by: 'ana' });
    expect(state.stages[state.stage]?.name).toBe('free');
    world.hold = 'match-night (20:30 → 23:00 UTC)';
    state = observe(world, state, 1800);
    expect(state.stages[state.stage]?.name).toBe('free');
    expect(state.phase).toBe('observing');
    expect(state.verdicts.at(-1)?.summary).toMatch(/passed .*; held by the freeze match-night \(20:30 → 23:00 UTC\)$/);
    world.hold = undefined;
    state = observe(world, state, 20);
    expect(state.stages[state.stage]?.name).toBe('paid');

    const bad = new World(svc, (v) => (v === '3.0.0-bad' ? 0.3 : 0));
    bad.hold = 'match-night';
    let failing = begin(svc, bad, '3.0.0-bad');
    failing = observe(bad, failing, 60);
    expect(failing.status).toBe('rolled-back');
  });

  it('takes an approval ahead of time: recorded at once, applied when the stage passes, without waiting', () => {
    const svc = service();
    const world = new World(svc, () => 0);
    let state = begin(svc, world, '2.0.0');
    expect(allowedActions(state)).toContain('approve');
    const approved = transition(state, { type: 'approve', at: world.at(), by: 'qa' });
    expect(approved.refused).toBeUndefined();
    expect(approved.commands).toEqual([]);
    state = step(world, state, { type: 'approve', at: world.at(), by: 'qa' });
    expect(state.approvedAhead).toEqual({ stage: 0, by: 'qa', at: world.at() });
    expect(allowedActions(state)).not.toContain('approve');
    // A second approval keeps the first one's name and time.
    expect(transition(state, { type: 'approve', at: 'later', by: 'bo' }).state.approvedAhead?.by).toBe('qa');
    expect(world.versions.free).toBe('1.0.0');
    state = observe(world, state, 330);
    expect(state.stages[state.stage]?.name).toBe('free');
    expect(state.phase).toBe('observing');
    expect(state.approvedAhead).toBeUndefined();
    expect(world.versions.free).toBe('2.0.0');
    expect(world.log).toContainEqual({
      kind: 'notify',
      level: 'info',
      message: 'api 2.0.0: stage internal passed; approved ahead by qa, continuing',
    });
    state = observe(world, state, 1000);
    expect(state.status).toBe('succeeded');
  });

  it('holds an approved-ahead stage during a freeze; a promote past it spends the approval', () => {
    const svc = service();
    const world = new World(svc, () => 0);
    let state = begin(svc, world, '2.0.0');
    state = step(world, state, { type: 'approve', at: world.at(), by: 'qa' });
    world.hold = 'match-night';
    state = observe(world, state, 700);
    expect(state.stages[state.stage]?.name).toBe('internal');
    expect(state.verdicts.at(-1)?.summary).toMatch(/held by the freeze match-night$/);
    world.hold = undefined;
    state = observe(world, state, 20);
    expect(state.stages[state.stage]?.name).toBe('free');

    let promoted = begin(svc, new World(svc, () => 0), '2.0.0');
    promoted = transition(promoted, { type: 'approve', at: world.at(), by: 'qa' }).state;
    promoted = transition(promoted, { type: 'promote', at: world.at(), by: 'qa' }).state;
    expect(promoted.approvedAhead).toBeUndefined();
  });

  it('refuses what does not fit the moment, and says why', () => {
    const svc = service();
    const world = new World(svc, () => 0);
    const state = begin(svc, world, '2.0.0');
    const past = step(world, state, { type: 'promote', at: world.at(), by: 'x' });
    expect(transition(past, { type: 'approve', at: world.at(), by: 'x' }).refused).toMatch(
      /no stage left in this release waits for approval/,
    );
    expect(transition(state, { type: 'resume', at: world.at(), by: 'x' }).refused).toMatch(/resume is not possible/);
    expect(transition(state, { type: 'start', at: world.at() }).refused).toMatch(/already started/);
  });

  it('aborts mid-stage: traffic back, versions back, status aborted', () => {
    const svc = service();
    const world = new World(svc, () => 0);
    let state = begin(svc, world, '2.0.0');
    state = step(world, state, { type: 'promote', at: world.at(), by: 'qa' });
    state = step(world, state, { type: 'abort', at: world.at(), by: 'ana', reason: 'wrong build' });
    expect(state.status).toBe('aborted');
    expect(state.outcome).toBe('aborted by ana: wrong build');
    expect(world.versions).toEqual({ internal: '1.0.0', free: '1.0.0', paid: '1.0.0', production: '1.0.0' });
  });

  it('rolls the stable track back first when the last stage fails', () => {
    const svc = service();
    const world = new World(svc, (v) => (v === '2.0.0' ? 0 : 0));
    let state = begin(svc, world, '2.0.0');
    state = step(world, state, { type: 'promote', at: world.at(), by: 'qa' });
    state = step(world, state, { type: 'promote', at: world.at(), by: 'qa' });
    state = step(world, state, { type: 'promote', at: world.at(), by: 'qa' });
    expect(state.stages[state.stage]?.name).toBe('production');
    const before = world.log.length;
    state = step(world, state, { type: 'rollback', at: world.at(), by: 'ana', reason: 'latency' });
    const revert = world.log.slice(before);
    expect(revert[2]).toEqual({ kind: 'set-track', track: 'production', version: '1.0.0' });
    expect(revert.filter((c) => c.kind === 'route-group')).toEqual([]);
    expect(state.status).toBe('rolled-back');
  });

  it('ends as failed when the revert itself cannot complete', () => {
    const svc = service();
    const world = new World(svc, () => 0);
    let state = begin(svc, world, '2.0.0');
    let t = transition(state, { type: 'rollback', at: world.at(), by: 'ana', reason: 'x' });
    state = t.state;
    const first = t.commands.find((c) => c.command.kind === 'set-track') as SequencedCommand;
    t = transition(state, { type: 'command-failed', at: world.at(), seq: first.seq, error: 'replica never ready' });
    expect(t.state.status).toBe('failed');
    expect(t.state.outcome).toMatch(/then a step of the revert failed: replica never ready/);
  });

  it('rolls back when a forward step fails', () => {
    const svc = service();
    const world = new World(svc, () => 0);
    const state = createRelease({
      id: 'r1',
      service: svc,
      version: '2.0.0',
      plan: 'default',
      stages: svc.release.plans.default ?? [],
      current: { versions: { ...world.versions }, routing: { shares: { ...world.shares }, legacyShare: 0 } },
      by: 'ana',
      reason: '',
    });
    const started = transition(state, { type: 'start', at: world.at() });
    const failed = transition(started.state, {
      type: 'command-failed',
      at: world.at(),
      seq: started.commands[0]?.seq as number,
      error: 'image not found',
    });
    expect(failed.state.status).toBe('rolling-back');
    expect(failed.state.outcome).toBe('a step failed: image not found');
  });

  it('ignores a command reported done twice', () => {
    const svc = service();
    const world = new World(svc, () => 0);
    const state = createRelease({
      id: 'r1',
      service: svc,
      version: '2.0.0',
      plan: 'default',
      stages: svc.release.plans.default ?? [],
      current: { versions: { ...world.versions }, routing: { shares: { ...world.shares }, legacyShare: 0 } },
      by: 'ana',
      reason: '',
    });
    const started = transition(state, { type: 'start', at: world.at() });
    const once = transition(started.state, { type: 'command-done', at: world.at(), seq: 1 });
    const twice = transition(once.state, { type: 'command-done', at: world.at(), seq: 1 });
    expect(twice.state).toEqual(once.state);
    expect(twice.commands).toEqual([]);
  });

  it('migrates a legacy backend 1 → 25 → 50 → 100% and keeps the last share', () => {
    const texts = baseTexts();
    texts['services/api.yaml'] = setIn(
      setIn(texts['services/api.yaml'] as string, 'legacy', { address: 'old.internal:80', share: 100 }),
      'release',
      { minRequests: 10 },
    );
    const svc = serviceOf(texts);
    expect(svc.release.plans.migration?.map((s) => s.legacyShare)).toEqual([99, 75, 50, 0]);
    const world = new World(svc, () => 0);
    let state = begin(svc, world, svc.version, 'migration');
    const legacyShares = () =>
      world.log.filter((c) => c.kind === 'set-legacy-share').map((c) => (c as { share: number }).share);
    for (let i = 0; i < 4 && state.phase !== 'done'; i++) state = observe(world, state, 330);
    expect(state.status).toBe('succeeded');
    expect(legacyShares()).toEqual([99, 75, 50, 0]);
    expect(world.legacyShare).toBe(0);
  });

  it("uses a team's own plan with its own gates", () => {
    const svc = service({
      stages: [
        {
          name: 'canary',
          track: 'free',
          shares: { free: 20 },
          duration: '1m',
          gates: [{ metric: 'response-time', max: '1ms' }],
        },
        { name: 'all', track: 'production', duration: '1m' },
      ],
    });
    const world = new World(svc, () => 0);
    let state = begin(svc, world, '2.0.0');
    state = observe(world, state, 30);
    expect(state.status).toBe('rolled-back');
    expect(state.verdicts.at(-1)?.summary).toMatch(/response-time 5 \(≤ 1 ms\)/);
  });
});

describe('release engine judging sequentially', () => {
  it('rolls a bad canary back on the counter update that makes the evidence enough, before the minimum traffic', () => {
    const svc = service();
    const world = new World(svc, (v) => (v === '2.0.0-bad' ? 0.2 : 0));
    let state = begin(svc, world, '2.0.0-bad');
    state = step(world, state, { type: 'promote', at: world.at(), by: 'qa' });
    const verdicts: string[] = [];
    for (let t = 0; t < 6 && state.phase !== 'done'; t++) {
      state = observe(world, state, 10, 30);
      verdicts.push(state.verdicts.at(-1)?.outcome ?? '');
    }
    expect(state.status).toBe('rolled-back');
    // 6 failures each update, from the canary only, at an even split: ln(4/3) each, ln(100) needed.
    expect(verdicts).toEqual(['inconclusive', 'inconclusive', 'fail']);
    expect(state.verdicts.at(-1)?.requests).toBe(90);
    expect(state.outcome).toMatch(/^stage free: free failed errors-vs-stable \(errors 18\/90 \(20\.00%\)/);
  });

  it('says while undecided what a decision still needs, and passes once the evidence is enough', () => {
    const svc = service({ gates: [{ metric: 'errors-vs-stable' }] });
    const world = new World(svc, () => 0);
    let state = begin(svc, world, '2.0.0');
    state = observe(world, state, 10, 100);
    expect(state.verdicts.at(-1)?.outcome).toBe('inconclusive');
    expect(state.verdicts.at(-1)?.summary).toMatch(
      /^errors-vs-stable errors 0\/100 \(0\.00%\) vs stable 0\/100 .*undecided — about \d+ more clean canary requests to pass, 17 more canary failures to roll back$/,
    );
    state = observe(world, state, 40, 100);
    expect(state.verdicts.at(-1)?.outcome).toBe('pass');
    expect(state.verdicts.at(-1)?.summary).toMatch(
      /no regression, with at most 5\.00% chance of missing one\) over 500 requests$/,
    );
  });

  it('keeps the evidence across a router restart and does not count the gap', () => {
    const svc = service({ gates: [{ metric: 'errors-vs-stable' }] });
    const world = new World(svc, (v) => (v === '2.0.0-bad' ? 0.1 : 0));
    let state = begin(svc, world, '2.0.0-bad');
    state = step(world, state, { type: 'promote', at: world.at(), by: 'qa' });
    state = observe(world, state, 10, 20);
    const before = state.judgement?.evidence[0];
    expect(before?.canary).toEqual({ requests: 20, errors: 2 });
    // The router restarts: its counters start again, with a burst of 503s while replicas came back.
    for (const c of Object.values(world.counters)) Object.assign(c, { requests: 5, errors: 5 });
    state = observe(world, state, 10, 0);
    expect(state.judgement?.evidence[0]).toEqual(before);
    state = observe(world, state, 10, 20);
    expect(state.judgement?.evidence[0]?.canary).toEqual({ requests: 40, errors: 4 });
  });
});

describe('release engine across a router restart', () => {
  it("judges from the restart on when the router's counters go back", () => {
    const svc = service();
    const world = new World(svc, () => 0);
    let state = begin(svc, world, '2.0.0');
    state = observe(world, state, 40);
    state = step(world, state, { type: 'promote', at: world.at(), by: 'qa' });
    state = observe(world, state, 20);
    // The router restarts: counters start again from zero, after a burst of 503s while replicas came back.
    for (const c of Object.values(world.counters)) Object.assign(c, { requests: 30, errors: 30 });
    state = observe(world, state, 10);
    expect(state.status).toBe('running');
    expect(state.baseline?.tracks.free?.requests).toBe(130);
    state = observe(world, state, 30);
    expect(state.status).toBe('running');
    expect(state.verdicts.at(-1)?.outcome).toBe('pass');
  });
});
