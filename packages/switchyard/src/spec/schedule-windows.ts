import { parseCron } from './cron.js';
import type { ScheduleWindow } from './model.js';

/**
 * When a service's schedule windows hold its floor up: each window starts when its cron
 * expression fires (in its time zone) and lasts its duration; while any is open the stable
 * track keeps at least the largest `minReplicas` of the open ones. Pure: the clock is an input.
 */

export interface WindowOccurrence {
  readonly window: string;
  readonly start: Date;
  readonly end: Date;
  readonly minReplicas: number;
}

/** More occurrences than anyone reads in a listing ("* * * * *" fires 10,080 times a week). */
const MOST_PER_WINDOW = 500;

function scheduleOf(w: ScheduleWindow) {
  const check = parseCron(w.cron, w.timezone);
  // The spec was validated when it was loaded; a window that does not parse here is a defect.
  if (!check.ok) throw new Error(`schedule window ${w.name}: ${check.message}`);
  return check.schedule;
}

/**
 * The windows open at any time in [from, to), in start order: those that opened before `from`
 * and are still open, then those that open before `to` (at most 500 per window).
 */
export function occurrences(windows: readonly ScheduleWindow[], from: Date, to: Date): WindowOccurrence[] {
  const found: WindowOccurrence[] = [];
  for (const w of windows) {
    const schedule = scheduleOf(w);
    // A window that started up to its duration before `from` is still open at `from`.
    let after = new Date(from.getTime() - w.durationMs - 1);
    for (let n = 0; n < MOST_PER_WINDOW; n++) {
      const start = schedule.nextStart(after);
      if (!start || start >= to) break;
      const end = new Date(start.getTime() + w.durationMs);
      if (end > from) found.push({ window: w.name, start, end, minReplicas: w.minReplicas });
      after = start;
    }
  }
  return found.sort((a, b) => a.start.getTime() - b.start.getTime() || a.window.localeCompare(b.window));
}

export interface Floor {
  readonly minReplicas: number;
  /** The open windows that set it, largest first. */
  readonly windows: readonly WindowOccurrence[];
  /** When the floor changes next: an open window closes or another opens. */
  readonly until: Date | undefined;
}

/** The floor at `at`: none when no window is open. */
export function floorAt(windows: readonly ScheduleWindow[], at: Date): Floor | undefined {
  const longest = Math.max(0, ...windows.map((w) => w.durationMs));
  const open = occurrences(windows, at, new Date(at.getTime() + 1)).filter((o) => o.start <= at && at < o.end);
  if (open.length === 0) return undefined;
  const ends = open.map((o) => o.end.getTime());
  const next = occurrences(windows, new Date(at.getTime() + 1), new Date(at.getTime() + longest + 1)).find(
    (o) => o.start > at,
  );
  const until = Math.min(...ends, next?.start.getTime() ?? Infinity);
  return {
    minReplicas: Math.max(...open.map((o) => o.minReplicas)),
    windows: [...open].sort((a, b) => b.minReplicas - a.minReplicas),
    until: Number.isFinite(until) ? new Date(until) : undefined,
  };
}
