import { describe, expect, it } from 'vitest';
import { parseCron } from './cron.js';
import { isTimezone, timezoneProblem } from './timezone.js';

function next(expression: string, timezone: string, after: string): string | undefined {
  const checked = parseCron(expression, timezone);
  if (!checked.ok) throw new Error(checked.message);
  return checked.schedule.nextStart(new Date(after))?.toISOString();
}

describe('schedule windows', () => {
  it('starts a window at the next matching minute in its time zone', () => {
    expect(next('30 19 * * *', 'Europe/Paris', '2025-01-15T12:00:00Z')).toBe('2025-01-15T18:30:00.000Z');
    expect(next('30 19 * * *', 'Europe/Paris', '2025-07-15T12:00:00Z')).toBe('2025-07-15T17:30:00.000Z');
    expect(next('45 20 * * 6', 'UTC', '2025-01-15T12:00:00Z')).toBe('2025-01-18T20:45:00.000Z');
  });

  it('keeps a date that comes only in leap years, and refuses dates that never come', () => {
    expect(next('0 0 29 2 *', 'UTC', '2025-03-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
    for (const never of ['0 0 31 2 *', '0 0 30 2 *', '0 0 31 4,6,9,11 *']) {
      expect(parseCron(never, 'UTC')).toMatchObject({
        ok: false,
        field: 'cron',
        message: `"${never}" never fires: no date matches it`,
      });
    }
  });

  it('refuses what is not a five-field cron expression, saying why', () => {
    expect(parseCron('a b c d e', 'UTC')).toMatchObject({
      ok: false,
      field: 'cron',
      message: expect.stringMatching(
        /^"a b c d e" is not a cron expression: configuration entry 1 \(a\) contains illegal characters/,
      ) as unknown,
    });
    expect(parseCron('0 0 * * * *', 'UTC')).toMatchObject({ ok: false, field: 'cron' });
    expect(parseCron('0 24 * * *', 'UTC')).toMatchObject({
      ok: false,
      message: expect.stringContaining('Invalid value for hour: 24') as unknown,
    });
  });

  it('refuses a time zone Intl does not know, with the closest name', () => {
    expect(parseCron('30 19 * * *', 'Mars/Olympus')).toMatchObject({
      ok: false,
      field: 'timezone',
      message: '"Mars/Olympus" is not a time zone',
    });
    expect(timezoneProblem('Europe/Pariss')?.hint).toMatch(/^Did you mean "Europe\/Paris"\?/);
    expect(timezoneProblem('America/Sao_Paulo')).toBeUndefined();
    expect(isTimezone('UTC')).toBe(true);
    expect(isTimezone('')).toBe(false);
  });
});
