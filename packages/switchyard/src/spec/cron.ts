import { Cron } from 'croner';
import { timezoneProblem } from './timezone.js';

/** A five-field cron expression read in a time zone, that fires at least once. */
export interface CronSchedule {
  readonly expression: string;
  readonly timezone: string;
  /** The first start strictly after `after`; undefined when none is left (never, for a checked schedule). */
  nextStart(after: Date): Date | undefined;
}

export type CronCheck =
  | { readonly ok: true; readonly schedule: CronSchedule }
  | { readonly ok: false; readonly field: 'cron' | 'timezone'; readonly message: string; readonly hint: string };

/** A fixed start, so that the answer never depends on the day it is asked; 2000 was a leap year. */
const SEARCH_FROM = new Date(Date.UTC(2000, 0, 1));

const FORMAT_HINT =
  'Write five fields: minute hour day-of-month month day-of-week, e.g. "30 19 * * *" for 19:30 every day.';

/**
 * Reads a schedule window's cron expression in its time zone: the one check `validate` runs
 * and the schedule engine relies on. Cron semantics are croner's, as classic cron has them:
 * five fields, and a day-of-month and a day-of-week both restricted match either. An
 * expression no date matches (`0 0 31 2 *`) is refused; croner looks for a match up to the
 * year 3000, across every leap year, so `0 0 29 2 *` is kept.
 */
export function parseCron(expression: string, timezone: string): CronCheck {
  const zone = timezoneProblem(timezone);
  if (zone) return { ok: false, field: 'timezone', ...zone };
  let cron: Cron;
  try {
    cron = new Cron(expression, { mode: '5-part', timezone, paused: true });
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).replace(/^CronPattern: /, '');
    return {
      ok: false,
      field: 'cron',
      message: `"${expression}" is not a cron expression: ${reason}`,
      hint: FORMAT_HINT,
    };
  }
  const nextStart = (after: Date): Date | undefined => cron.nextRun(after) ?? undefined;
  if (nextStart(SEARCH_FROM) === undefined) {
    return {
      ok: false,
      field: 'cron',
      message: `"${expression}" never fires: no date matches it`,
      hint: 'Check the day of the month against the month (February has no 30th or 31st; April, June, September and November have no 31st).',
    };
  }
  return { ok: true, schedule: { expression, timezone, nextStart } };
}
