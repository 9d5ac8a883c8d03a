import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/cli.js';
import { HTTP_SERVICE, startTestFleet, type TestFleet } from '../../test/support/local-fleet.js';
import { eventually, startWebhookReceiver, type WebhookReceiver } from '../../test/support/receivers.js';
import { call } from '../../test/support/release.js';
import type { Finding, HealthReport } from '../health/index.js';

/**
 * A release in progress on the local runtime with real HAProxy, alerts told to a real HTTP
 * receiver in Slack's format: while the release rolls its first track (version 2.0.0 takes 10 s
 * to listen, so the roll lasts), that track's mixed versions are in health, muted by the
 * release, and never notified, although a rule takes them at once; the stable track losing an
 * endpoint meanwhile is notified, with a button to its runbook — the configuration
 * repository's, served by the API and printed by `switchyard runbook`.
 */

interface SlackMessage {
  text: string;
  blocks: { type: string; elements?: { type: string; url?: string; text?: { text: string } }[] }[];
}

const URL_VARIABLE = 'SWY_ITEST_MUTE_SLACK_URL';
const CONSOLE = 'https://switchyard.test';
const serve = `await import(${JSON.stringify(pathToFileURL(HTTP_SERVICE).href)});\n`;

describe('alerts during a release of a local fleet', () => {
  let fleet: TestFleet;
  let receiver: WebhookReceiver<SlackMessage>;
  let release: string;
  const health = async () => (await call<HealthReport>(fleet.api, fleet.auth, 'GET', '/v1/health')).body;
  const pids = (track: string) => fleet.runtime.track('api', track).pids();
  const signal = (list: readonly number[], name: NodeJS.Signals) => list.forEach((pid) => process.kill(pid, name));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const cli = (args: readonly string[]) =>
    runCli(args, { env: { SWITCHYARD_API: fleet.api, SWITCHYARD_TOKEN: fleet.auth.replace(/^Bearer /, '') } });

  const until = <T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000) =>
    eventually(what, check, { timeoutMs, context: () => `received ${JSON.stringify(receiver.received)}` });

  beforeAll(async () => {
    receiver = await startWebhookReceiver<SlackMessage>({ down: false });
    process.env[URL_VARIABLE] = receiver.url;
    fleet = await startTestFleet({
      service: {
        command: ['node', 'builds/{version}.mjs'],
        probes: { readiness: { path: '/ready', periodSeconds: 1 } },
      },
      files: {
        'builds/1.0.0.mjs': serve,
        'builds/2.0.0.mjs': `await new Promise((r) => setTimeout(r, 10_000));\n${serve}`,
        'runbooks/track-endpoints.md': '# Stable track short of endpoints\n\nCall the video on-call.\n',
      },
      environment: {
        alerts: {
          url: CONSOLE,
          repeat: '1h',
          rules: [
            {
              name: 'tracks-at-once',
              checks: ['track-version', 'track-over-replicated', 'track-endpoints'],
              severity: 'warning',
              for: '0s',
            },
          ],
          receivers: [{ name: 'ops-slack', type: 'slack', urlFrom: URL_VARIABLE }],
        },
      },
      alertsEveryMs: 300,
      alertsRetryMs: 200,
    });
  });
  afterAll(async () => {
    if (fleet) signal(pids('production'), 'SIGCONT');
    if (fleet && release)
      await call(fleet.api, fleet.auth, 'POST', `/v1/releases/${release}/abort`, { reason: 'test over' });
    await fleet?.stop();
    await receiver?.close();
    delete process.env[URL_VARIABLE];
  });

  it('lists the canary roll muted by the release and notifies only the stable track losing an endpoint', async () => {
    const started = await call<{ id: string }>(fleet.api, fleet.auth, 'POST', '/v1/releases', {
      service: 'api',
      version: '2.0.0',
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    release = started.body.id;
    const rolling = await until('the internal track rolling, muted by the release', async () =>
      (await health()).findings.find((f) => f.unit === 'api' && f.part === 'internal' && f.check === 'track-version'),
    );
    expect(rolling).toMatchObject({ severity: 'warning', mutedBy: { release } });
    const text = await cli(['health']);
    expect(text.stdout).toContain(`(muted: release ${release.slice(0, 8)} causes it)`);
    expect(text.stdout).toContain('runbook: switchyard runbook track-version');

    const [first] = pids('production');
    signal([first as number], 'SIGSTOP');
    const message = await until('the stable track notified', () => receiver.received[0]);
    expect(message.text.split('\n')[0]).toBe('[FIRING] sandbox/api: 1 warning');
    expect(message.text).toContain('track-endpoints production');
    // The roll of internal was still going on: its finding held, muted, while the notification went out.
    const during = (await health()).findings.filter((f: Finding) => f.part === 'internal');
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((f) => f.mutedBy?.release === release)).toBe(true);
    await sleep(1500);
    expect(receiver.received.map((m) => m.text).join('\n')).not.toContain('internal');
    expect(receiver.received).toHaveLength(1);

    const buttons = message.blocks.find((b) => b.type === 'actions')?.elements ?? [];
    expect(buttons.map((b) => [b.text?.text, b.url])).toEqual([
      ['Open api', `${CONSOLE}/v1/health/api?env=sandbox`],
      ['Runbook', `${CONSOLE}/v1/runbooks/track-endpoints?env=sandbox&rule=tracks-at-once`],
    ]);
  });

  it("serves the runbook the notification links to: the configuration repository's, else the default", async () => {
    const path = '/v1/runbooks/track-endpoints?env=sandbox&rule=tracks-at-once';
    const linked = await call<{ source: string; file: string; markdown: string }>(fleet.api, fleet.auth, 'GET', path);
    expect(linked.status).toBe(200);
    expect(linked.body).toMatchObject({ source: 'config', file: 'runbooks/track-endpoints.md' });
    expect(linked.body.markdown).toContain('Call the video on-call.');

    const printed = await cli(['runbook', 'track-endpoints']);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout.split('\n').slice(0, 2)).toEqual([
      'STABLE TRACK SHORT OF ENDPOINTS',
      '═══════════════════════════════',
    ]);
    const shipped = await cli(['runbook', 'leftovers', '-o', 'json']);
    expect(JSON.parse(shipped.stdout)).toMatchObject({ alert: 'leftovers', source: 'default', environment: 'sandbox' });
    const unknown = await cli(['runbook', 'no-such-check']);
    expect([unknown.code, unknown.stderr.includes('SWY_RUNBOOK_NOT_FOUND')]).toEqual([66, true]);

    const stranger = await call<{ secret: string }>(fleet.api, fleet.auth, 'POST', '/v1/tokens', {
      name: 'elsewhere',
      roles: { production: 'viewer' },
    });
    const refused = await call<{ error: { code: string } }>(fleet.api, `Bearer ${stranger.body.secret}`, 'GET', path);
    expect([refused.status, refused.body.error.code]).toEqual([403, 'SWY_API_FORBIDDEN']);
  });
});
