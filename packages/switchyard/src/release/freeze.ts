import { SwitchyardError } from '../errors/index.js';
import type { FreezeWindow } from '../spec/index.js';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const WEEK = 7 * 24 * 60;

/** Minutes since Sunday 00:00 in `timezone` at `at`. */
function minuteOfWeek(at: Date, timezone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = DAYS.indexOf(get('weekday').toLowerCase().slice(0, 3) as (typeof DAYS)[number]);
  return day * 24 * 60 + Number(get('hour')) * 60 + Number(get('minute'));
}

function parsePoint(text: string): { day?: number; minute: number } {
  const match = /^(?:(mon|tue|wed|thu|fri|sat|sun) )?(\d{2}):(\d{2})$/.exec(text.trim());
  // The environment's schema refuses any other form: one here slipped past loading.
  if (!match) {
    throw new SwitchyardError('SWY_INTERNAL_ERROR', {
      message: `A freeze window reached the release engine with an unchecked time: ${JSON.stringify(text)}`,
      details: { time: text },
    });
  }
  const minute = Number(match[2]) * 60 + Number(match[3]);
  return match[1] ? { day: DAYS.indexOf(match[1] as (typeof DAYS)[number]), minute } : { minute };
}

/** Whether `at` falls in a window: weekly (`fri 16:00` → `mon 08:00`) or daily (`20:30` → `23:00`), across midnight or the week's end. */
export function inWindow(window: FreezeWindow, at: Date): boolean {
  const now = minuteOfWeek(at, window.timezone);
  const from = parsePoint(window.from);
  const to = parsePoint(window.to);
  if (from.day === undefined || to.day === undefined) {
    const minute = now % (24 * 60);
    return from.minute <= to.minute
      ? minute >= from.minute && minute < to.minute
      : minute >= from.minute || minute < to.minute;
  }
  const start = from.day * 24 * 60 + from.minute;
  const end = to.day * 24 * 60 + to.minute;
  return start <= end ? now >= start && now < end : now >= start || now < end % WEEK;
}

/** The freeze window `at` falls in, if any. */
export function activeFreeze(windows: readonly FreezeWindow[], at: Date): FreezeWindow | undefined {
  return windows.find((w) => inWindow(w, at));
}

/** A window in words, e.g. `match-night (20:30 → 23:00 UTC)`. */
export function describeFreeze(window: FreezeWindow): string {
  return `${window.name} (${window.from} → ${window.to} ${window.timezone})`;
}
