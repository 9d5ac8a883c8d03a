import { describe, expect, it } from 'vitest';
import { activeFreeze, inWindow } from './freeze.js';

const weekend = { name: 'weekend', from: 'fri 16:00', to: 'mon 08:00', timezone: 'Europe/Paris' };
const peak = { name: 'evening-peak', from: '20:30', to: '23:00', timezone: 'Europe/Paris' };
const night = { name: 'night', from: '23:00', to: '06:00', timezone: 'UTC' };

describe('deploy freezes', () => {
  it.each([
    ['2026-11-27T14:59:00Z', false], // Friday 15:59 in Paris (UTC+1)
    ['2026-11-27T15:00:00Z', true], // Friday 16:00 in Paris
    ['2026-11-29T12:00:00Z', true], // Sunday
    ['2026-11-30T06:59:00Z', true], // Monday 07:59 in Paris
    ['2026-11-30T07:00:00Z', false], // Monday 08:00 in Paris
    ['2026-11-25T12:00:00Z', false], // Wednesday
  ])('weekend window at %s → %s', (at, frozen) => {
    expect(inWindow(weekend, new Date(at))).toBe(frozen);
  });

  it.each([
    ['2026-11-24T19:29:00Z', false],
    ['2026-11-24T19:30:00Z', true], // 20:30 in Paris
    ['2026-11-24T21:59:00Z', true],
    ['2026-11-24T22:00:00Z', false], // 23:00 in Paris
    ['2026-07-14T18:30:00Z', true], // 20:30 in Paris in summer (UTC+2)
  ])('daily peak window at %s → %s', (at, frozen) => {
    expect(inWindow(peak, new Date(at))).toBe(frozen);
  });

  it('handles a daily window across midnight', () => {
    expect(inWindow(night, new Date('2026-11-24T23:30:00Z'))).toBe(true);
    expect(inWindow(night, new Date('2026-11-25T05:59:00Z'))).toBe(true);
    expect(inWindow(night, new Date('2026-11-25T06:00:00Z'))).toBe(false);
  });

  it('names the window in force', () => {
    expect(activeFreeze([weekend, peak], new Date('2026-11-24T20:00:00Z'))?.name).toBe('evening-peak');
    expect(activeFreeze([weekend, peak], new Date('2026-11-24T12:00:00Z'))).toBeUndefined();
  });
});
