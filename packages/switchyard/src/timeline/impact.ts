import type { Measurement } from '../release/index.js';
import type { ReleaseEventInput, TimelineWindow } from './types.js';

/** Requests and errors of one service in a window, as its router's counters were read during releases. */
export interface ServiceImpact {
  readonly service: string;
  readonly requests: number;
  /** 5xx answers users got, the router's own included. */
  readonly errors: number;
  /** How many readings of the counters the window holds. */
  readonly readings: number;
  /** The first and last reading (RFC 3339). */
  readonly from: string;
  readonly to: string;
}

const measurementOf = (payload: unknown): Measurement | undefined => {
  const p = payload as { type?: string; result?: { tracks?: unknown } } | null;
  return p?.type === 'command-done' && p.result && typeof p.result.tracks === 'object' && p.result.tracks !== null
    ? (p.result as Measurement)
    : undefined;
};

/** What a cumulative counter added between two readings; a lower second reading means the router restarted. */
const added = (first: number, last: number) => (last >= first ? last - first : last);

/**
 * Per service, what its tracks answered in the window, from the routers' cumulative counters
 * the releases read (each measurement of a stage): the last reading less the first, per track.
 * A service no release measured in the window has no row: nothing better is stored.
 */
export function impactOf(
  events: readonly (ReleaseEventInput & { readonly service: string })[],
  window: TimelineWindow,
): ServiceImpact[] {
  const readings = new Map<string, { at: Date; m: Measurement }[]>();
  for (const e of events) {
    const m = measurementOf(e.payload);
    if (!m || e.at < window.since || e.at >= window.until) continue;
    readings.set(e.service, [...(readings.get(e.service) ?? []), { at: e.at, m }]);
  }
  return [...readings.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([service, list]) => {
      list.sort((a, b) => a.at.getTime() - b.at.getTime());
      const first = new Map<string, { requests: number; errors: number }>();
      const last = new Map<string, { requests: number; errors: number }>();
      for (const { m } of list)
        for (const [track, c] of Object.entries(m.tracks)) {
          if (!first.has(track)) first.set(track, c);
          last.set(track, c);
        }
      let requests = 0;
      let errors = 0;
      for (const [track, l] of last) {
        const f = first.get(track) ?? l;
        requests += added(f.requests, l.requests);
        errors += added(f.errors, l.errors);
      }
      return {
        service,
        requests,
        errors,
        readings: list.length,
        from: (list[0] as { at: Date }).at.toISOString(),
        to: (list.at(-1) as { at: Date }).at.toISOString(),
      };
    });
}
