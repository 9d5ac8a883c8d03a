import { SwitchyardError } from '../errors/index.js';
import type { TimelineEntry } from './types.js';

/** Entries in time order; at the same instant, in a stable order of their ids. */
export function byTime(a: TimelineEntry, b: TimelineEntry): number {
  return a.at < b.at ? -1 : a.at > b.at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The cursor of a page: where the previous one ended (its last entry's time and id), opaque to callers. */
export function cursorAfter(entry: Pick<TimelineEntry, 'at' | 'id'>): string {
  return Buffer.from(JSON.stringify([entry.at, entry.id])).toString('base64url');
}

function readCursor(cursor: string): { at: string; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'string' && typeof id === 'string') return { at, id };
  } catch {
    // answered below
  }
  throw new SwitchyardError('SWY_TIMELINE_QUERY_INVALID', {
    message: `after "${cursor.slice(0, 60)}" is not a cursor this timeline gave`,
  });
}

/**
 * One page of the merged timeline: every source's entries in one order, from just after the
 * cursor, at most `limit`; `next` is the cursor of the page after, null on the last.
 */
export function pageOf(
  sources: readonly (readonly TimelineEntry[])[],
  options: { readonly limit: number; readonly after?: string },
): { readonly entries: TimelineEntry[]; readonly next: string | null } {
  const all = sources.flat().sort(byTime);
  const after = options.after === undefined ? undefined : readCursor(options.after);
  const start = after ? all.findIndex((e) => byTime(e, { ...e, at: after.at, id: after.id }) > 0) : 0;
  const rest = start < 0 ? [] : all.slice(start);
  const entries = rest.slice(0, options.limit);
  const last = entries.at(-1);
  return { entries, next: rest.length > options.limit && last ? cursorAfter(last) : null };
}
