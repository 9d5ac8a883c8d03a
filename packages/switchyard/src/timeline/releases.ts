import type { GateResult, ReleaseState, Verdict } from '../release/index.js';
import type { ReleaseEventInput, TimelineEntry } from './types.js';

/** What a release's own events say of a person's action. */
interface ActionPayload {
  readonly by?: string;
  readonly reason?: string;
}

const SERVER = 'switchyard';

function gateText(g: GateResult): string {
  const value = g.value === null ? 'no value' : String(Math.round(g.value * 10_000) / 10_000);
  return `${g.gate} ${value} (${g.threshold}) ${g.ok ? 'ok' : 'failed'}`;
}

export function verdictText(v: Verdict): string {
  const gates = v.gates.map(gateText).join(', ');
  return `stage ${v.stage} verdict ${v.outcome}: ${gates || 'no gates'}; ${v.requests} requests`;
}

function statusText(state: ReleaseState, previous: ReleaseState | undefined): string | undefined {
  const why = state.outcome ? `: ${state.outcome}` : '';
  switch (state.status) {
    case 'succeeded':
      return `promoted: ${state.version} serves all traffic`;
    case 'rolling-back':
      return `rolling back${why}`;
    case 'rolled-back':
      return `rolled back${why}`;
    case 'aborted':
      return `aborted${why}`;
    case 'failed':
      return `failed${why}`;
    case 'paused':
      return 'paused';
    case 'running':
      return previous?.status === 'paused' ? 'resumed' : undefined;
  }
}

const isState = (s: unknown): s is ReleaseState =>
  typeof s === 'object' && s !== null && Array.isArray((s as ReleaseState).verdicts);

/**
 * What a release's events mean on a timeline: it started, each stage began, each verdict with
 * its gate values, approvals, and how it ended. `previous` is the release's state just before
 * the first event given (when the window starts mid-release). Events are of one release, in order.
 */
export function releaseEntries(
  release: { readonly id: string; readonly service: string; readonly version: string; readonly createdBy: string },
  events: readonly ReleaseEventInput[],
  previous?: unknown,
): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  let before = isState(previous) ? previous : undefined;
  for (const e of events) {
    const payload = (e.payload ?? {}) as ActionPayload;
    const by = payload.by ?? SERVER;
    const at = e.at.toISOString();
    const add = (kind: TimelineEntry['kind'], n: number, text: string, who: string, when = at) =>
      entries.push({
        id: `release:${e.seq}:${n}`,
        at: when,
        kind,
        service: release.service,
        who,
        text,
        ref: release.id,
      });
    const state = isState(e.state) ? e.state : undefined;
    if (e.type === 'start') {
      const from = state ? Object.values(state.from.versions) : [];
      add(
        'release',
        0,
        `release of ${release.version} started${state ? ` (plan ${state.plan})` : ''}${from.length ? `, replacing ${[...new Set(from)].join(', ')}` : ''}`,
        release.createdBy,
      );
    }
    if ((e.type === 'approve' || e.type === 'promote') && payload.by)
      add('release', 1, `${e.type === 'approve' ? 'approved' : 'promoted by hand'}`, payload.by);
    if (state) {
      (state.verdicts.slice(before?.verdicts.length ?? 0) as Verdict[]).forEach((v, i) =>
        add('verdict', 10 + i, verdictText(v), SERVER, v.at),
      );
      const stage = state.stages[state.stage];
      if (stage && state.stage !== (before?.stage ?? -1) && state.status !== 'succeeded')
        add('release', 2, `stage ${stage.name} (${state.stage + 1}/${state.stages.length}) began`, by);
      if (state.status !== before?.status) {
        const text = statusText(state, before);
        if (text) add('release', 3, text, by);
      }
      before = state;
    }
  }
  return entries;
}
