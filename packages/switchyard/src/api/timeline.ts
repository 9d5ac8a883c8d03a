import {
  listAlertHistory,
  listAuditInWindow,
  listReleaseEventsInWindow,
  listRuntimeEvents,
  listSilencesInWindow,
  type WindowReleaseEvent,
} from '../store/index.js';
import {
  alertEntry,
  auditEntry,
  byTime,
  impactOf,
  releaseEntries,
  runtimeEntry,
  silenceEntries,
  type ContributingChange,
  type PostmortemInput,
  type TimelineEntry,
  type TimelineWindow,
} from '../timeline/index.js';
import type { ApiContext } from './context.js';

/** Rows read per source for one window: a window holding more is said to be truncated. */
export const ROWS_PER_SOURCE = 5000;

export interface CollectedTimeline {
  /** Every entry of the window, in order. */
  readonly entries: TimelineEntry[];
  readonly releaseEvents: readonly WindowReleaseEvent[];
  /** A source held more rows than were read: narrow the window. */
  readonly truncated: boolean;
}

type TimelineContext = Pick<ApiContext, 'store' | 'fleet'>;

/** The environment's timeline in a window, from every source the store holds, merged in one order. */
export async function collectTimeline(
  ctx: TimelineContext,
  window: TimelineWindow,
  service?: string,
): Promise<CollectedTimeline> {
  const environment = ctx.fleet.environment.name;
  const scope = { ...window, ...(service ? { service } : {}), limit: ROWS_PER_SOURCE };
  const [releases, alerts, silences, audit, runtime] = await Promise.all([
    listReleaseEventsInWindow(ctx.store, environment, scope),
    listAlertHistory(ctx.store, environment, scope),
    listSilencesInWindow(ctx.store, environment, scope),
    listAuditInWindow(ctx.store, environment, scope),
    listRuntimeEvents(ctx.store, environment, scope),
  ]);
  const byRelease = new Map<string, WindowReleaseEvent[]>();
  for (const e of releases.events) byRelease.set(e.releaseId, [...(byRelease.get(e.releaseId) ?? []), e]);
  const entries = [
    ...[...byRelease.values()].flatMap((events) => {
      const first = events[0] as WindowReleaseEvent;
      return releaseEntries(
        { id: first.releaseId, service: first.service, version: first.version, createdBy: first.createdBy },
        events,
        releases.before.get(first.releaseId),
      );
    }),
    ...alerts.map(alertEntry),
    ...silences.flatMap((s) => silenceEntries(s, window, service)),
    ...audit.flatMap((a) => auditEntry(a) ?? []).filter((e) => !service || e.service === service || e.service === null),
    ...runtime.map(runtimeEntry),
  ]
    .filter((e) => Date.parse(e.at) >= window.since.getTime() && Date.parse(e.at) < window.until.getTime())
    .sort(byTime);
  const truncated = [releases.events, alerts, silences, audit, runtime].some((rows) => rows.length >= ROWS_PER_SOURCE);
  return { entries, releaseEvents: releases.events, truncated };
}

/** Services whose config history a post-mortem reads at most. */
const SERVICES_READ = 20;

/** Releases started in the window with their desired-state commits, and configuration commits taken. */
async function contributingChanges(
  ctx: Pick<ApiContext, 'store' | 'fleet' | 'configRepo'>,
  collected: CollectedTimeline,
  window: TimelineWindow,
  service?: string,
): Promise<ContributingChange[]> {
  const environment = ctx.fleet.environment.name;
  const starts = collected.releaseEvents.filter((e) => e.type === 'start');
  const services = service
    ? [service]
    : [...new Set(collected.entries.flatMap((e) => (e.service ? [e.service] : [])))].sort().slice(0, SERVICES_READ);
  const histories = new Map(
    await Promise.all(
      services.map(
        async (s) =>
          [s, await ctx.configRepo.history({ environment, service: s, limit: 200 }).catch(() => [])] as const,
      ),
    ),
  );
  const inWindow = (at: Date) => at >= window.since && at < window.until;
  const releases: ContributingChange[] = starts.map((e) => ({
    at: e.at.toISOString(),
    kind: 'release',
    service: e.service,
    who: e.createdBy,
    text: `release of ${e.version}`,
    ref: e.releaseId,
    commits: (histories.get(e.service) ?? []).filter((c) => c.releaseId === e.releaseId).map((c) => c.sha),
  }));
  const commits: ContributingChange[] = [...histories.entries()].flatMap(([s, history]) =>
    history
      .filter((c) => c.releaseId === null && inWindow(c.date))
      .map((c) => ({
        at: c.date.toISOString(),
        kind: 'commit' as const,
        service: s,
        who: c.author.name,
        text: c.message.split('\n')[0] ?? '',
        ref: c.sha,
        commits: [c.sha],
      })),
  );
  const taken: ContributingChange[] = collected.entries
    .filter((e) => e.kind === 'change' && e.text.startsWith('config.take ') && e.ref)
    .map((e) => ({
      at: e.at,
      kind: 'commit',
      service: null,
      who: e.who,
      text: 'configuration commit taken from the followed repository',
      ref: e.ref as string,
      commits: [e.ref as string],
    }));
  return [...releases, ...commits, ...taken].sort((a, b) => a.at.localeCompare(b.at) || a.ref.localeCompare(b.ref));
}

/** Entries one post-mortem shows at most; the rest are a `switchyard timeline` away. */
export const POSTMORTEM_ENTRIES = 2000;

/** What a post-mortem of the window is written from. */
export async function postmortemOf(
  ctx: Pick<ApiContext, 'store' | 'fleet' | 'configRepo'>,
  window: TimelineWindow,
  service?: string,
): Promise<PostmortemInput> {
  const collected = await collectTimeline(ctx, window, service);
  return {
    environment: ctx.fleet.environment.name,
    service: service ?? null,
    since: window.since.toISOString(),
    until: window.until.toISOString(),
    entries: collected.entries.slice(0, POSTMORTEM_ENTRIES),
    truncated: collected.truncated || collected.entries.length > POSTMORTEM_ENTRIES,
    impact: impactOf(collected.releaseEvents, window),
    changes: await contributingChanges(ctx, collected, window, service),
  };
}
