import { describe, expect, it } from 'vitest';
import type { ScheduleWindow } from './model.js';
import { floorAt, occurrences } from './schedule-windows.js';

const HOUR = 3_600_000;
const evening: ScheduleWindow = {
  name: 'evening',
  cron: '30 19 * * *',
  durationMs: 3 * HOUR,
  minReplicas: 8,
  timezone: 'Europe/Paris',
};
// A match night known days ahead: 14 June at 20:00 in Paris, ready half an hour before kick-off.
const match: ScheduleWindow = {
  name: 'final',
  cron: '30 20 14 6 *',
  durationMs: 3 * HOUR,
  minReplicas: 20,
  timezone: 'Europe/Paris',
};
const utc = (text: string) => new Date(`${text}Z`);

describe('schedule windows', () => {
  it('opens a daily window at its local time on either side of a daylight-saving change', () => {
    const list = occurrences([evening], utc('2026-03-27T00:00:00'), utc('2026-03-31T00:00:00'));
    // Paris is UTC+1 until 29 March, UTC+2 after: 19:30 there is 18:30, then 17:30 UTC.
    expect(list.map((o) => o.start.toISOString())).toEqual([
      '2026-03-27T18:30:00.000Z',
      '2026-03-28T18:30:00.000Z',
      '2026-03-29T17:30:00.000Z',
      '2026-03-30T17:30:00.000Z',
    ]);
    expect(list[0]!.end.toISOString()).toBe('2026-03-27T21:30:00.000Z');
  });

  it('lists a window already open at the start of the listing, and none that closed before it', () => {
    const list = occurrences([evening], utc('2026-06-10T19:00:00'), utc('2026-06-11T00:00:00'));
    expect(list.map((o) => [o.start.toISOString(), o.end.toISOString()])).toEqual([
      ['2026-06-10T17:30:00.000Z', '2026-06-10T20:30:00.000Z'],
    ]);
    expect(occurrences([evening], utc('2026-06-10T20:30:00'), utc('2026-06-11T00:00:00'))).toEqual([]);
  });

  it('holds the largest floor of the open windows, and says until when', () => {
    // 14 June, 19:00 UTC = 21:00 in Paris: the evening (from 17:30 UTC) and the final (from 18:30 UTC) are open.
    const floor = floorAt([evening, match], utc('2026-06-14T19:00:00'));
    expect(floor?.minReplicas).toBe(20);
    expect(floor?.windows.map((o) => o.window)).toEqual(['final', 'evening']);
    expect(floor?.until?.toISOString()).toBe('2026-06-14T20:30:00.000Z');
    // Before the final opens, the evening alone; the floor changes when the final opens.
    const before = floorAt([evening, match], utc('2026-06-14T18:00:00'));
    expect(before?.minReplicas).toBe(8);
    expect(before?.until?.toISOString()).toBe('2026-06-14T18:30:00.000Z');
    expect(floorAt([evening, match], utc('2026-06-14T23:00:00'))).toBeUndefined();
  });

  it('opens a window at its start and closes it at its end, not a millisecond later', () => {
    expect(floorAt([evening], utc('2026-06-10T17:30:00'))?.minReplicas).toBe(8);
    expect(floorAt([evening], utc('2026-06-10T17:29:59.999'))).toBeUndefined();
    expect(floorAt([evening], utc('2026-06-10T20:30:00'))).toBeUndefined();
  });
});
