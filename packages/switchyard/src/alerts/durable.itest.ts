import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/cli.js';
import { startTestFleet, type TestFleet } from '../../test/support/local-fleet.js';
import { eventually, startWebhookReceiver, type WebhookReceiver } from '../../test/support/receivers.js';
import { BUILDS, call, type ReleaseBody } from '../../test/support/release.js';
import type { HealthReport } from '../health/index.js';
import { listAlertHistory, listWaitingNotifications } from '../store/index.js';

/**
 * Alerts that survive a restart, on the local runtime with a real HTTP receiver: a release held
 * by a freeze gets stuck (a finding that lasts across a restart, since the release is in the
 * store), its notification waits for a receiver that is down, the server stops, a new server
 * on the same data directory takes up what waited and delivers it exactly once, and does not
 * notify the group, still firing, a second time. The timeline and the post-mortem show it.
 */

interface SlackMessage {
  text: string;
  blocks: { type: string; elements?: { text?: string }[] }[];
}

const URL_VARIABLE = 'SWY_ITEST_DURABLE_SLACK_URL';

const hhmm = (d: Date) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('alerts across a restart', () => {
  let receiver: WebhookReceiver<SlackMessage>;
  let dataDir: string;
  let fleet: TestFleet | undefined;
  const now = new Date();

  const start = (dir: string) =>
    startTestFleet({
      dataDir: dir,
      tickMs: 200,
      files: BUILDS,
      service: {
        command: ['node', 'builds/{version}/server.mjs'],
        release: {
          minRequests: 0,
          interval: '1s',
          inconclusiveAfter: '1s',
          gates: [{ metric: 'error-ratio', max: 0.5 }],
          stages: [
            { name: 'internal', track: 'internal', duration: '1s' },
            { name: 'all', track: 'production', duration: '1s' },
          ],
        },
      },
      environment: {
        // The release is held by the freeze: its stage passes but never advances, and is found stuck.
        freezes: [
          {
            name: 'incident-drill',
            from: hhmm(new Date(now.getTime() - 60_000)),
            to: hhmm(new Date(now.getTime() + 3 * 3_600_000)),
            timezone: 'UTC',
          },
        ],
        alerts: {
          repeat: '1h',
          rules: [{ name: 'stuck-fast', checks: ['release-stuck'], severity: 'warning', for: '1s' }],
          receivers: [{ name: 'ops-slack', type: 'slack', urlFrom: URL_VARIABLE }],
        },
      },
      alertsEveryMs: 300,
      alertsRetryMs: 200,
    });

  const until = <T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 40_000) =>
    eventually(what, check, { timeoutMs, context: () => `received ${JSON.stringify(receiver.received)}` });
  const health = async (f: TestFleet) => (await call<HealthReport>(f.api, f.auth, 'GET', '/v1/health')).body;
  const has = (r: HealthReport, check: string) => r.findings.some((x) => x.check === check);

  beforeAll(async () => {
    receiver = await startWebhookReceiver<SlackMessage>({ down: true });
    process.env[URL_VARIABLE] = receiver.url;
    dataDir = await mkdtemp(join(tmpdir(), 'sy-durable-'));
  });
  afterAll(async () => {
    await fleet?.stop();
    await receiver?.close();
    delete process.env[URL_VARIABLE];
  });

  it('keeps a notification a receiver that is down has not taken when the server stops', async () => {
    fleet = await start(dataDir);
    const first = fleet;
    const deployed = await call<ReleaseBody>(first.api, first.auth, 'POST', '/v1/releases', {
      service: 'api',
      version: '1.1.0',
      overrideFreeze: true,
      reason: 'drill: a release held by the freeze',
    });
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);
    await until('release-stuck and notifier-failing in health', async () => {
      const r = await health(first);
      return has(r, 'release-stuck') && has(r, 'notifier-failing') ? r : undefined;
    });
    expect(receiver.received).toEqual([]);
    const waiting = await listWaitingNotifications(first.server.store, 'sandbox');
    expect(waiting.map((w) => [w.receiver, w.notification.status, w.notification.service])).toEqual([
      ['ops-slack', 'firing', 'api'],
    ]);
    await first.stop();
    fleet = undefined;
    expect(receiver.attempts).toBeGreaterThan(0);
  });

  it('delivers it exactly once from the next server on the same store, and does not notify the group again', async () => {
    const second = (fleet = await start(dataDir));
    receiver.down = false;
    const message = await until('the notification that waited', () => receiver.received[0]);
    expect(message.text.split('\n')[0]).toBe('[FIRING] sandbox/api: 1 warning');
    expect(message.text).toContain('release-stuck internal');
    // The group still fires on the new server, held well past its rule's for: nothing more is sent.
    await until('release-stuck in the new server’s health', async () =>
      has(await health(second), 'release-stuck') ? true : undefined,
    );
    await sleep(4000);
    expect(has(await health(second), 'release-stuck')).toBe(true);
    expect(receiver.received).toHaveLength(1);
    expect(await listWaitingNotifications(second.server.store, 'sandbox')).toEqual([]);
    const history = await listAlertHistory(second.server.store, 'sandbox', {
      since: new Date(now.getTime() - 60_000),
      until: new Date(Date.now() + 60_000),
    });
    expect(history.map((n) => [n.status, n.deliveries.map((d) => [d.receiver, d.deliveredAt !== null])])).toEqual([
      ['firing', [['ops-slack', true]]],
    ]);
  });

  it('shows the release, the alert and who was told in the timeline and the post-mortem', async () => {
    const second = fleet as TestFleet;
    const env = { SWITCHYARD_API: second.api, SWITCHYARD_TOKEN: second.auth.replace(/^Bearer /, '') };
    const timeline = await runCli(['timeline', '--since', '30m'], { env });
    expect(timeline.code, timeline.stderr).toBe(0);
    const lines = timeline.stdout.split('\n');
    expect(lines[1]).toMatch(/^TIME\s+KIND\s+SERVICE\s+WHO\s+WHAT\s+REF$/);
    const started = lines.findIndex((l) => /release\s+api\s+admin\S*\s+release of 1\.1\.0 started/.test(l));
    const fired = lines.findIndex((l) =>
      /alert\s+api\s+switchyard\s+alert firing: release-stuck internal \(warning\); told ops-slack/.test(l),
    );
    expect(started, timeline.stdout).toBeGreaterThan(1);
    expect(fired, timeline.stdout).toBeGreaterThan(started);

    const json = await runCli(['timeline', '--since', '30m', '--service', 'api', '-o', 'json'], { env });
    const page = JSON.parse(json.stdout) as { entries: { kind: string; ref: string | null }[]; next: null };
    expect(page.next).toBeNull();
    expect(page.entries.filter((e) => e.kind === 'alert').map((e) => e.ref)).toEqual(['sandbox/api']);

    const file = join(dataDir, 'postmortem.md');
    const from = new Date(now.getTime() - 60_000).toISOString();
    const written = await runCli(['postmortem', from, '0s', '-o', file], { env });
    expect(written.code, written.stderr).toBe(0);
    expect(existsSync(file)).toBe(true);
    const markdown = readFileSync(file, 'utf8');
    expect(markdown).toMatch(/^# Post-mortem: sandbox, /);
    expect(markdown).toContain('alert firing: release-stuck internal (warning); told ops-slack');
    expect(markdown).toMatch(/\| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \| release of 1\.1\.0 \| api \| /);
    for (const section of ['## Impact', '## Timeline', '## Contributing changes', '## Root cause', '## Action items'])
      expect(markdown).toContain(section);
  });

  it('lets a viewer of the environment read the timeline, and nobody without a role there', async () => {
    const second = fleet as TestFleet;
    const token = async (name: string, roles: Record<string, string>) =>
      `Bearer ${(await call<{ secret: string }>(second.api, second.auth, 'POST', '/v1/tokens', { name, roles })).body.secret}`;
    const viewer = await token('timeline-viewer', { sandbox: 'viewer' });
    const elsewhere = await token('timeline-elsewhere', { production: 'admin' });
    for (const path of ['/v1/timeline?since=1h', '/v1/postmortem?since=1h']) {
      expect((await call(second.api, viewer, 'GET', path)).status).toBe(200);
      const refused = await call<{ error: { code: string } }>(second.api, elsewhere, 'GET', path);
      expect([refused.status, refused.body.error.code]).toEqual([403, 'SWY_API_FORBIDDEN']);
    }
  });
});
