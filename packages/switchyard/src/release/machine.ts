import type { RoutingState } from '../router/index.js';
import type { Service, Stage } from '../spec/index.js';
import { evaluate, startJudgement } from './gates.js';
import type {
  Action,
  Command,
  Measurement,
  ReleaseEvent,
  ReleaseState,
  SequencedCommand,
  Transition,
  Verdict,
} from './types.js';

/**
 * The release engine: a pure function from (state, event) to (state, commands). It never
 * touches a router or a process; the orchestrator runs the commands and feeds back what
 * happened as events. Every command is idempotent, so a restarted orchestrator may run the
 * last one again safely.
 */

const MAX_VERDICTS = 50;

export interface NewRelease {
  readonly id: string;
  readonly service: Service;
  readonly version: string;
  readonly plan: string;
  readonly stages: readonly Stage[];
  /** What runs now: track versions and the router's split. */
  readonly current: { readonly versions: Readonly<Record<string, string>>; readonly routing: RoutingState };
  readonly by: string;
  readonly reason: string;
}

export function createRelease(input: NewRelease): ReleaseState {
  const { service } = input;
  return {
    id: input.id,
    service: service.name,
    environment: service.env,
    version: input.version,
    plan: input.plan,
    stages: input.stages,
    settings: {
      minRequests: service.release.minRequests,
      intervalMs: service.release.intervalMs,
      inconclusiveAfterMs: service.release.inconclusiveAfterMs,
    },
    stableTrack: service.stableTrack,
    pinned: Object.fromEntries(
      service.traffic.groups.filter((g) => g.pinnedTrack).map((g) => [g.name, g.pinnedTrack as string]),
    ),
    canaryTracks: Object.fromEntries(
      service.traffic.groups
        .filter((g) => g.canaryTrack && g.canaryAllowed)
        .map((g) => [g.name, g.canaryTrack as string]),
    ),
    from: { versions: input.current.versions, routing: input.current.routing },
    status: 'running',
    phase: 'applying',
    stage: -1,
    applied: [],
    awaiting: [],
    nextSeq: 1,
    verdicts: [],
    createdBy: input.by,
    reason: input.reason,
  };
}

type Emitted = { state: ReleaseState; commands: SequencedCommand[] };

/** Gives commands their sequence numbers; the step waits for all of them. */
function emit(state: ReleaseState, commands: readonly Command[], patch: Partial<ReleaseState> = {}): Emitted {
  const sequenced = commands.map((command, i) => ({ seq: state.nextSeq + i, command }));
  return {
    state: {
      ...state,
      ...patch,
      nextSeq: state.nextSeq + commands.length,
      awaiting: [...state.awaiting, ...sequenced.map((c) => ({ seq: c.seq, kind: c.command.kind }))],
    },
    commands: sequenced,
  };
}

function stageLabel(stage: Stage): string {
  const parts = [
    stage.track ? `track ${stage.track}` : '',
    ...Object.entries(stage.shares).map(([g, s]) => `${s}% of ${g}`),
    stage.legacyShare !== undefined ? `${100 - stage.legacyShare}% off legacy` : '',
  ];
  return parts.filter(Boolean).join(', ');
}

function startStage(state: ReleaseState, index: number): Emitted {
  const stage = state.stages[index] as Stage;
  const commands: Command[] = [];
  if (stage.track) commands.push({ kind: 'set-track', track: stage.track, version: state.version });
  for (const [group, share] of Object.entries(stage.shares)) commands.push({ kind: 'set-share', group, share });
  if (stage.legacyShare !== undefined) commands.push({ kind: 'set-legacy-share', share: stage.legacyShare });
  commands.push(
    { kind: 'record', message: `${state.service} ${state.version}: stage ${stage.name} (${stageLabel(stage)})` },
    {
      kind: 'notify',
      level: 'info',
      message: `${state.service} ${state.version} in ${state.environment}: stage ${index + 1}/${state.stages.length} ${stage.name} (${stageLabel(stage)})`,
    },
    { kind: 'snapshot' },
  );
  const applied = stage.track && !state.applied.includes(stage.track) ? [...state.applied, stage.track] : state.applied;
  const { observingSince: _o, lastMeasuredAt: _l, baseline: _b, judgement: _j, ...rest } = state;
  return emit({ ...rest, stage: index, phase: 'applying', applied }, commands);
}

function finish(state: ReleaseState): Emitted {
  const commands: Command[] = [];
  // Canary shares go back to their steady state; a migration keeps the legacy share it reached.
  for (const [group, share] of Object.entries(state.from.routing.shares))
    commands.push({ kind: 'set-share', group, share });
  commands.push(
    { kind: 'record', message: `${state.service} ${state.version}: released to every track` },
    { kind: 'notify', level: 'info', message: `${state.service} ${state.version} released in ${state.environment}` },
  );
  return emit(state, commands, { phase: 'finishing' });
}

function advance(state: ReleaseState): Emitted {
  // An approval given ahead belongs to one stage: leaving that stage (or a promote past it) spends it.
  const { approvedAhead, ...rest } = state;
  const next = approvedAhead && approvedAhead.stage > state.stage ? state : rest;
  return next.stage + 1 < next.stages.length ? startStage(next, next.stage + 1) : finish(next);
}

/** The stage an approval given now is for: this one if it has not waited yet, else the next that needs one. */
function stageToApproveAhead(state: ReleaseState): number | undefined {
  if (state.phase !== 'applying' && state.phase !== 'observing') return undefined;
  const index = state.stages.findIndex((s, i) => i >= state.stage && s.approval);
  return index === -1 ? undefined : index;
}

/** Records an approval before its stage waits: no command, the stage advances on its own once it passes. */
function approveAhead(state: ReleaseState, by: string, at: string): Transition {
  const stage = stageToApproveAhead(state);
  if (stage === undefined)
    return {
      state,
      commands: [],
      refused:
        state.phase === 'applying' || state.phase === 'observing'
          ? 'no stage left in this release waits for approval'
          : `approve is not possible while the release is ${state.status} (${state.phase})`,
    };
  // Approving the same stage twice keeps the first approval: who approved first, and when.
  if (state.approvedAhead?.stage === stage) return { state, commands: [] };
  return { state: { ...state, approvedAhead: { stage, by, at } }, commands: [] };
}

/**
 * Traffic back to the stable version at once, then the replicas: groups leave the changed
 * tracks first (router only, milliseconds), then the tracks roll back, then the split is restored.
 */
function revert(state: ReleaseState, reason: string, revertTo: 'rolled-back' | 'aborted'): Emitted {
  const changed = new Set(state.applied);
  const stableChanged = changed.has(state.stableTrack);
  const commands: Command[] = [];
  for (const [group, track] of Object.entries(state.canaryTracks))
    if (changed.has(track)) commands.push({ kind: 'set-share', group, share: 0 });
  for (const [group, track] of Object.entries(state.pinned))
    if (changed.has(track) && !stableChanged) commands.push({ kind: 'route-group', group, track: state.stableTrack });
  if (stableChanged)
    commands.push({
      kind: 'set-track',
      track: state.stableTrack,
      version: state.from.versions[state.stableTrack] as string,
    });
  for (const track of state.applied) {
    if (track !== state.stableTrack)
      commands.push({ kind: 'set-track', track, version: state.from.versions[track] as string });
  }
  for (const [group, track] of Object.entries(state.pinned))
    if (changed.has(track) && !stableChanged) commands.push({ kind: 'route-group', group, track });
  for (const [group, share] of Object.entries(state.from.routing.shares))
    commands.push({ kind: 'set-share', group, share });
  const stage = state.stages[state.stage];
  if (stage?.legacyShare !== undefined)
    commands.push({ kind: 'set-legacy-share', share: state.from.routing.legacyShare });
  commands.push(
    {
      kind: 'record',
      message: `${state.service}: ${revertTo === 'aborted' ? 'aborted' : 'rolled back'} ${state.version} — ${reason}`,
    },
    {
      kind: 'notify',
      level: 'error',
      message: `${state.service} ${state.version} in ${state.environment} ${revertTo === 'aborted' ? 'aborted' : 'rolled back'}: ${reason}`,
    },
  );
  // Commands still out (a roll forward) finish first; the revert follows them.
  return emit(state, commands, { phase: 'reverting', status: 'rolling-back', outcome: reason, revertTo });
}

function elapsed(from: string | undefined, to: string): number {
  return from === undefined ? Infinity : Date.parse(to) - Date.parse(from);
}

function onVerdict(state: ReleaseState, verdict: Verdict, at: string, hold: string | undefined): Emitted {
  const stage = state.stages[state.stage] as Stage;
  const observed = elapsed(state.observingSince, at);
  // A freeze never stops a rollback, only the next step forward.
  const approvedAhead = state.approvedAhead?.stage === state.stage;
  const held =
    hold !== undefined &&
    verdict.outcome === 'pass' &&
    observed >= stage.durationMs &&
    state.phase === 'observing' &&
    (!stage.approval || approvedAhead);
  const recorded = held ? { ...verdict, summary: `${verdict.summary}; held by the freeze ${hold}` } : verdict;
  const verdicts = [...state.verdicts, recorded].slice(-MAX_VERDICTS);
  const next = { ...state, verdicts, lastMeasuredAt: at };
  if (verdict.outcome === 'fail') return revert(next, `stage ${stage.name}: ${verdict.summary}`, 'rolled-back');
  if (verdict.outcome === 'inconclusive') {
    if (observed >= state.settings.inconclusiveAfterMs)
      return revert(
        next,
        `stage ${stage.name}: not enough traffic for a verdict within ${Math.round(state.settings.inconclusiveAfterMs / 1000)} s (${verdict.summary})`,
        'rolled-back',
      );
    return { state: next, commands: [] };
  }
  if (held || observed < stage.durationMs || state.phase !== 'observing') return { state: next, commands: [] };
  if (stage.approval && approvedAhead) {
    const told = emit(next, [
      {
        kind: 'notify',
        level: 'info',
        message: `${state.service} ${state.version}: stage ${stage.name} passed; approved ahead by ${state.approvedAhead?.by ?? '?'}, continuing`,
      },
    ]);
    const moved = advance(told.state);
    return { state: moved.state, commands: [...told.commands, ...moved.commands] };
  }
  if (stage.approval) {
    return emit(
      next,
      [
        {
          kind: 'notify',
          level: 'info',
          message: `${state.service} ${state.version}: stage ${stage.name} passed; waiting for approval to continue`,
        },
      ],
      { phase: 'awaiting-approval' },
    );
  }
  return advance(next);
}

function countersReset(state: ReleaseState, baseline: Measurement, current: Measurement): boolean {
  const below = (seen: Measurement['tracks']) =>
    Object.entries(seen).some(([track, before]) => (current.tracks[track]?.requests ?? 0) < before.requests);
  return below(baseline.tracks) || (state.judgement !== undefined && below(state.judgement.last));
}

/** Commands that only observe or tell: they never hold a person's action back. */
const PASSIVE: ReadonlySet<Command['kind']> = new Set(['measure', 'notify']);

function stepDone(
  state: ReleaseState,
  at: string,
  kind: Command['kind'],
  result: Measurement | undefined,
  hold?: string,
): Emitted {
  if (kind === 'snapshot' && result) state = { ...state, baseline: result, judgement: startJudgement(result) };
  if (kind === 'measure') {
    if (!result || !state.baseline || (state.phase !== 'observing' && state.phase !== 'awaiting-approval'))
      return { state, commands: [] };
    // The router restarted (its counters went back): judge from here on, not across the gap;
    // the sequential gates keep the evidence gathered before it.
    if (countersReset(state, state.baseline, result))
      return {
        state: {
          ...state,
          baseline: result,
          judgement: { ...(state.judgement ?? startJudgement(result)), last: result.tracks },
        },
        commands: [],
      };
    const { verdict, judgement } = evaluate({
      at,
      stage: state.stages[state.stage] as Stage,
      settings: state.settings,
      stableTrack: state.stableTrack,
      baseline: state.baseline,
      current: result,
      ...(state.judgement ? { judgement: state.judgement } : {}),
      final: elapsed(state.observingSince, at) >= state.settings.inconclusiveAfterMs,
    });
    state = { ...state, judgement };
    return onVerdict(state, verdict, at, hold);
  }
  if (state.awaiting.some((a) => !PASSIVE.has(a.kind))) return { state, commands: [] };
  switch (state.phase) {
    case 'applying':
      return { state: { ...state, phase: 'observing', observingSince: at }, commands: [] };
    case 'finishing':
      return { state: { ...state, phase: 'done', status: 'succeeded' }, commands: [] };
    case 'reverting':
      return { state: { ...state, phase: 'done', status: state.revertTo ?? 'rolled-back' }, commands: [] };
    default:
      return { state, commands: [] };
  }
}

/** What a person may do to the release now. */
export function allowedActions(state: ReleaseState): Action[] {
  if (state.phase === 'done' || state.phase === 'reverting') return [];
  const actions: Action[] = ['abort', 'rollback'];
  if (state.status === 'paused') actions.push('resume');
  else actions.push('pause');
  if (state.phase === 'awaiting-approval') actions.push('approve', 'promote');
  else {
    const ahead = stageToApproveAhead(state);
    if (ahead !== undefined && state.approvedAhead?.stage !== ahead) actions.push('approve');
    if (state.phase === 'observing') actions.push('promote');
  }
  return actions;
}

/** Approve or promote: the next stage now. */
function moveOn(state: ReleaseState, action: 'approve' | 'promote'): Transition {
  if (!allowedActions(state).includes(action))
    return {
      state,
      commands: [],
      refused: `${action} is not possible while the release is ${state.status} (${state.phase})`,
    };
  if (state.awaiting.some((a) => !PASSIVE.has(a.kind)))
    return { state, commands: [], refused: 'a step is still running; try again in a moment' };
  return advance({ ...state, status: 'running' });
}

export function transition(state: ReleaseState, event: ReleaseEvent): Transition {
  const refuse = (why: string): Transition => ({ state, commands: [], refused: why });
  switch (event.type) {
    case 'start':
      if (state.stage !== -1) return refuse('the release has already started');
      return startStage(state, 0);
    case 'command-done':
    case 'command-failed': {
      const awaited = state.awaiting.find((a) => a.seq === event.seq);
      if (!awaited) return { state, commands: [] };
      const next = { ...state, awaiting: state.awaiting.filter((a) => a.seq !== event.seq) };
      if (event.type === 'command-done') return stepDone(next, event.at, awaited.kind, event.result, event.hold);
      if (PASSIVE.has(awaited.kind)) return stepDone(next, event.at, awaited.kind, undefined);
      if (state.phase === 'reverting' || state.phase === 'done') {
        return emit(
          {
            ...next,
            phase: 'done',
            status: 'failed',
            outcome: `${state.outcome ?? 'revert'}; then a step of the revert failed: ${event.error}`,
          },
          [
            {
              kind: 'notify',
              level: 'error',
              message: `${state.service} in ${state.environment}: the revert of ${state.version} failed (${event.error}); a person must look`,
            },
          ],
        );
      }
      return revert(next, `a step failed: ${event.error}`, 'rolled-back');
    }
    case 'tick': {
      if (state.status !== 'running' || (state.phase !== 'observing' && state.phase !== 'awaiting-approval'))
        return { state, commands: [] };
      if (state.awaiting.some((a) => a.kind === 'measure')) return { state, commands: [] };
      if (state.lastMeasuredAt !== undefined && elapsed(state.lastMeasuredAt, event.at) < state.settings.intervalMs)
        return { state, commands: [] };
      return emit({ ...state, lastMeasuredAt: event.at }, [{ kind: 'measure' }]);
    }
    case 'approve':
      if (state.phase !== 'awaiting-approval') return approveAhead(state, event.by, event.at);
      return moveOn(state, event.type);
    case 'promote':
      return moveOn(state, event.type);
    case 'pause':
      if (!allowedActions(state).includes('pause'))
        return refuse(`pause is not possible while the release is ${state.status} (${state.phase})`);
      return { state: { ...state, status: 'paused' }, commands: [] };
    case 'resume':
      if (!allowedActions(state).includes('resume'))
        return refuse(`resume is not possible while the release is ${state.status}`);
      return { state: { ...state, status: 'running' }, commands: [] };
    case 'abort':
    case 'rollback': {
      if (!allowedActions(state).includes(event.type))
        return refuse(`${event.type} is not possible while the release is ${state.status} (${state.phase})`);
      return revert(
        state,
        `${event.type === 'abort' ? 'aborted' : 'rolled back'} by ${event.by}: ${event.reason}`,
        event.type === 'abort' ? 'aborted' : 'rolled-back',
      );
    }
  }
}
