import { describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/cli.js';
import type { ScheduleView } from './commands/schedule.js';

const EXAMPLE = 'examples/video-platform';

describe('switchyard schedule', () => {
  it("lists the example catalog's evening windows at their Paris time, and the floor while one is open", async () => {
    const ahead = await runCli([
      'schedule',
      EXAMPLE,
      'catalog-api',
      '-e',
      'production',
      '--at',
      '2026-12-05T17:00:00Z',
      '--days',
      '2',
    ]);
    expect(ahead.code, ahead.stderr).toBe(0);
    expect(ahead.stdout).toContain('catalog-api in production: no window open now');
    expect(ahead.stdout).toMatch(
      /evening-peak\s+Sat 2026-12-05 19:30 Europe\/Paris\s+2026-12-05 18:30 UTC\s+2026-12-05 22:30 UTC\s+30/,
    );
    expect(ahead.stdout.match(/evening-peak/g)).toHaveLength(2);

    const open = await runCli([
      'schedule',
      EXAMPLE,
      'catalog-api',
      '-e',
      'production',
      '--at',
      '2026-12-05T19:00:00Z',
      '-o',
      'json',
    ]);
    expect(open.code, open.stderr).toBe(0);
    const view = JSON.parse(open.stdout) as ScheduleView;
    expect(view.floor).toEqual({ minReplicas: 30, windows: ['evening-peak'], until: '2026-12-05T22:30:00.000Z' });
    expect(view.windows[0]).toMatchObject({
      window: 'evening-peak',
      opens: '2026-12-05T18:30:00.000Z',
      minReplicas: 30,
    });
  });

  it('refuses a worker, an unknown service and a bad --days, saying what to pass', async () => {
    const worker = await runCli(['schedule', EXAMPLE, 'encoding-worker', '-e', 'production']);
    expect(worker.code).not.toBe(0);
    expect(worker.stderr).toMatch(/encoding-worker is a worker/);
    const unknown = await runCli(['schedule', EXAMPLE, 'nope', '-e', 'production']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/nope/);
    const days = await runCli(['schedule', EXAMPLE, 'catalog-api', '-e', 'production', '--days', '0']);
    expect(days.code).not.toBe(0);
    expect(days.stderr).toMatch(/--days takes a whole number of days from 1 to 366, not 0/);
  });
});
