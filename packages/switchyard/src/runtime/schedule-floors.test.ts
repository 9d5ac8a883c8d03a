import { describe, expect, it } from 'vitest';
import { baseTexts, fleetOf, setIn } from '../../test/support/config.js';
import type { RuntimeEvent } from './port.js';
import { ScheduleFloors } from './schedule-floors.js';

/** The example's evening: 19:30 to 22:30 in Paris (17:30 to 20:30 UTC in June), 6 replicas at least. */
function fleet() {
  const texts = baseTexts();
  texts['services/api.yaml'] = setIn(texts['services/api.yaml'] as string, 'autoscaling', {
    schedule: [{ name: 'evening', cron: '30 19 * * *', duration: '3h', minReplicas: 6, timezone: 'Europe/Paris' }],
  });
  return fleetOf(texts);
}

describe('schedule floors', () => {
  it('sets the floor when a window opens and lets it go when it closes, saying so once each time', async () => {
    let now = new Date('2026-06-10T17:00:00Z');
    const set: [string, number | undefined][] = [];
    const events: RuntimeEvent[] = [];
    const floors = new ScheduleFloors({
      fleet,
      now: () => now,
      setFloor: async (service, floor) => void set.push([service, floor]),
      onEvent: (e) => events.push(e),
    });
    expect(await floors.tick()).toBeUndefined();
    now = new Date('2026-06-10T17:30:00Z');
    expect((await floors.tick())?.toISOString()).toBe('2026-06-10T20:30:00.000Z');
    now = new Date('2026-06-10T19:00:00Z');
    await floors.tick();
    now = new Date('2026-06-10T20:30:00Z');
    await floors.tick();
    // Set at every look (an apply or a restart may have let it go), told only when it changes.
    expect(set).toEqual([
      ['api', undefined],
      ['api', 6],
      ['api', 6],
      ['api', undefined],
    ]);
    expect(events).toEqual([
      { type: 'schedule-floor', service: 'api', floor: 6, windows: ['evening'] },
      { type: 'schedule-floor', service: 'api', floor: null, windows: [] },
    ]);
  });

  it('says which service it could not raise, and raises it at the next look', async () => {
    const now = new Date('2026-06-10T18:00:00Z');
    const events: RuntimeEvent[] = [];
    let fail = true;
    const floors = new ScheduleFloors({
      fleet,
      now: () => now,
      setFloor: async () => {
        if (fail) throw new Error('the cluster did not answer');
      },
      onEvent: (e) => events.push(e),
    });
    await floors.tick();
    fail = false;
    await floors.tick();
    expect(events).toEqual([
      { type: 'progress', line: '! api: the schedule floor (6) could not be set: the cluster did not answer' },
      { type: 'schedule-floor', service: 'api', floor: 6, windows: ['evening'] },
    ]);
  });
});
