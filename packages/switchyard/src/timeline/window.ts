import { parseDuration } from '@switchyard/worker/units';
import { SwitchyardError } from '../errors/index.js';
import type { TimelineWindow } from './types.js';

/** A window longer than this is refused: it is an export, not an incident. */
export const MAX_WINDOW_MS = 90 * 24 * 3600_000;
/** The window when none is given: the last day. */
export const DEFAULT_SINCE = '24h';

function invalid(message: string): SwitchyardError {
  return new SwitchyardError('SWY_TIMELINE_QUERY_INVALID', { message });
}

/** A duration back from now (30m, 2h, 7d) or an RFC 3339 time. */
export function pointInTime(text: string, now: Date, name: string): Date {
  const ms = parseDuration(text);
  if (ms !== undefined) return new Date(now.getTime() - ms);
  const at = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(at.getTime()))
    throw invalid(`${name} "${text}" is neither a duration back from now (30m, 2h, 7d) nor an RFC 3339 time`);
  return at;
}

/** The window from since (default: a day ago) to until (default: now), since before until, at most 90 days. */
export function timelineWindow(since: string | undefined, until: string | undefined, now: Date): TimelineWindow {
  const window = {
    since: pointInTime(since ?? DEFAULT_SINCE, now, 'since'),
    until: until === undefined ? now : pointInTime(until, now, 'until'),
  };
  if (window.since.getTime() >= window.until.getTime())
    throw invalid(`since ${window.since.toISOString()} is not before until ${window.until.toISOString()}`);
  if (window.until.getTime() - window.since.getTime() > MAX_WINDOW_MS)
    throw invalid(
      `the window from ${window.since.toISOString()} to ${window.until.toISOString()} is longer than 90 days`,
    );
  return window;
}
