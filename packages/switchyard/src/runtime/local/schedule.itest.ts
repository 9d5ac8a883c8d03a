import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestFleet, type TestFleet } from '../../../test/support/local-fleet.js';
import { Traffic } from '../../../test/support/release.js';

/**
 * A schedule window on the local runtime, on the real clock: it opens at the next whole minute
 * (cron has minutes, not seconds) and lasts one minute. The stable track goes from its own 2
 * replicas to the window's 3 while it is open, and back to 2 after, with traffic all along:
 * the replica that leaves is drained first, so no request fails.
 */
describe('schedule windows on the local runtime', { timeout: 240_000 }, () => {
  let fleet: TestFleet;
  let opens: Date;

  beforeAll(async () => {
    const now = new Date();
    // At least 20 s ahead, so the fleet is up before the window opens.
    opens = new Date(Math.ceil((now.getTime() + 20_000) / 60_000) * 60_000);
    fleet = await startTestFleet({
      service: {
        autoscaling: {
          schedule: [
            {
              name: 'kick-off',
              cron: `${opens.getUTCMinutes()} ${opens.getUTCHours()} * * *`,
              duration: '1m',
              minReplicas: 3,
              timezone: 'UTC',
            },
          ],
        },
      },
    });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  const stable = () => fleet.runtime.track('api', 'production').status();
  async function until(what: string, done: () => boolean, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms; ${JSON.stringify(stable())}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return Date.now();
  }

  it('raises the stable track to the floor while the window is open and drains it back after, failing no request', async () => {
    const traffic = new Traffic(fleet.url, ['enterprise', 'free'], 2);
    try {
      expect(stable().desired).toBe(2);
      const raised = await until('the floor raised', () => stable().ready === 3, opens.getTime() - Date.now() + 30_000);
      expect(raised).toBeGreaterThanOrEqual(opens.getTime());
      expect(fleet.runtime.desiredState('api').tracks?.production?.replicas).toBe(2);
      await until('the floor let go', () => stable().desired === 2 && stable().replicas.length === 2, 90_000);
      expect(Date.now()).toBeGreaterThanOrEqual(opens.getTime() + 60_000);
    } finally {
      await traffic.stop();
    }
    expect(fleet.events.filter((e) => e.type === 'schedule-floor')).toEqual([
      { type: 'schedule-floor', service: 'api', floor: 3, windows: ['kick-off'] },
      { type: 'schedule-floor', service: 'api', floor: null, windows: [] },
    ]);
    expect(traffic.seen.length).toBeGreaterThan(100);
    expect(traffic.failures()).toBe(0);
  });
});
