import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/cli.js';
import { startTestFleet, type TestFleet } from '../../test/support/local-fleet.js';
import { eventually, startWebhookReceiver, type WebhookReceiver } from '../../test/support/receivers.js';
import { call } from '../../test/support/release.js';
import type { HealthReport } from '../health/index.js';

/**
 * Alerts on the local runtime with real HAProxy, told to a real HTTP receiver in Slack's
 * format: a track below 2 ready replicas is notified once, grouped, then resolved once; a
 * silence suppresses until it is expired; a receiver that is down at first gets the
 * notification once it is back, and meanwhile shows in health as `notifier-failing`.
 */

interface SlackMessage {
  text: string;
  blocks: { type: string; elements?: { type: string; url?: string }[] }[];
}

const URL_VARIABLE = 'SWY_ITEST_ALERTS_SLACK_URL';
const CONSOLE = 'https://switchyard.test';

describe('alerts of a local fleet', () => {
  let fleet: TestFleet;
  let receiver: WebhookReceiver<SlackMessage>;
  const cli = (args: readonly string[]) =>
    runCli(args, { env: { SWITCHYARD_API: fleet.api, SWITCHYARD_TOKEN: fleet.auth.replace(/^Bearer /, '') } });
  const health = async () => (await call<HealthReport>(fleet.api, fleet.auth, 'GET', '/v1/health')).body;
  const freePids = () => fleet.runtime.track('api', 'free').pids();
  const signal = (pids: readonly number[], name: NodeJS.Signals) => pids.forEach((pid) => process.kill(pid, name));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const until = <T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000) =>
    eventually(what, check, { timeoutMs, context: () => `received ${JSON.stringify(receiver.received)}` });
  const nth = (n: number) => () => receiver.received[n - 1];

  beforeAll(async () => {
    receiver = await startWebhookReceiver<SlackMessage>({ down: true });
    process.env[URL_VARIABLE] = receiver.url;
    fleet = await startTestFleet({
      service: { probes: { readiness: { path: '/ready', periodSeconds: 1 } } },
      environment: {
        alerts: {
          url: CONSOLE,
          repeat: '1h',
          rules: [{ name: 'endpoints-fast', checks: ['track-endpoints'], severity: 'warning', for: '2s' }],
          receivers: [{ name: 'ops-slack', type: 'slack', urlFrom: URL_VARIABLE }],
        },
      },
      alertsEveryMs: 300,
      alertsRetryMs: 200,
    });
  });
  afterAll(async () => {
    if (fleet) signal(freePids(), 'SIGCONT');
    await fleet?.stop();
    await receiver?.close();
    delete process.env[URL_VARIABLE];
  });

  it('keeps the notification for a receiver that is down, shows it failing in health, and delivers once it is back', async () => {
    const [first] = freePids();
    signal([first as number], 'SIGSTOP');
    const report = await until('notifier-failing in health', async () => {
      const r = await health();
      return r.findings.some((f) => f.check === 'notifier-failing') ? r : undefined;
    });
    expect(report.findings.find((f) => f.check === 'notifier-failing')).toMatchObject({
      severity: 'warning',
      unit: 'ops-slack',
    });
    expect(receiver.received).toEqual([]);
    receiver.down = false;
    const message = await until('the firing notification', nth(1));
    expect(message.text.split('\n')[0]).toBe('[FIRING] sandbox/api: 1 warning');
    expect(message.text).toContain('track-endpoints free');
    expect(receiver.contentTypes).toEqual(new Set(['application/json']));
    expect(message.blocks[0]?.type).toBe('header');
    expect(message.blocks.find((b) => b.type === 'actions')?.elements?.[0]).toMatchObject({
      type: 'button',
      url: `${CONSOLE}/v1/health/api?env=sandbox`,
    });
    await until('notifier-failing cleared', async () =>
      (await health()).findings.some((f) => f.check === 'notifier-failing') ? undefined : true,
    );
    await sleep(2000);
    expect(receiver.received).toHaveLength(1);
  });

  it('notifies resolved once when the track serves again', async () => {
    signal(freePids(), 'SIGCONT');
    const resolved = await until('the resolved notification', nth(2));
    expect(resolved.text.split('\n')[0]).toBe('[RESOLVED] sandbox/api');
    expect(JSON.stringify(resolved.blocks)).toContain('~track-endpoints free~ cleared');
    await sleep(1500);
    expect(receiver.received).toHaveLength(2);
  });

  it('sends nothing for a silenced group, and notifies once the silence is expired', async () => {
    const add = await cli([
      'silence',
      'add',
      '--service',
      'api',
      '--reason',
      'replacing nodes',
      '--expires',
      '10m',
      '-o',
      'json',
    ]);
    expect(add.code, add.stderr).toBe(0);
    const silence = JSON.parse(add.stdout) as { id: string; author: string; status: string };
    expect(silence).toMatchObject({ status: 'active' });
    const list = await cli(['silence', 'list']);
    expect(list.stdout).toContain(silence.id);
    expect(list.stdout).toContain('replacing nodes');

    const [first] = freePids();
    signal([first as number], 'SIGSTOP');
    await until('the finding held past its for', async () => {
      const f = (await health()).findings.find((x) => x.check === 'track-endpoints');
      return f && Date.now() - Date.parse(f.since) > 4000 ? f : undefined;
    });
    expect(receiver.received).toHaveLength(2);

    const expire = await cli(['silence', 'expire', silence.id]);
    expect(expire.code, expire.stderr).toBe(0);
    const again = await until('the firing notification after the silence', nth(3));
    expect(again.text.split('\n')[0]).toBe('[FIRING] sandbox/api: 1 warning');
    signal(freePids(), 'SIGCONT');
    await until('resolved again', nth(4));
    await sleep(1500);
    expect(receiver.received).toHaveLength(4);

    const audit = await call<{ entries: { action: string; actor: string }[] }>(
      fleet.api,
      fleet.auth,
      'GET',
      '/v1/audit',
    );
    expect(audit.body.entries.map((e) => e.action)).toEqual(
      expect.arrayContaining(['silence.create', 'silence.expire']),
    );
  });

  it('lets a viewer list silences but not add or expire one, and refuses one without a reason, matchers or a future expiry', async () => {
    const created = await call<{ secret: string }>(fleet.api, fleet.auth, 'POST', '/v1/tokens', {
      name: 'watcher',
      roles: { sandbox: 'viewer' },
    });
    expect(created.status).toBe(201);
    const viewer = `Bearer ${created.body.secret}`;
    const body = { services: ['api'], reason: 'maintenance', expires: '1h' };
    expect((await call(fleet.api, viewer, 'GET', '/v1/silences')).status).toBe(200);
    const denied = await call<{ error: { code: string } }>(fleet.api, viewer, 'POST', '/v1/silences', body);
    expect([denied.status, denied.body.error.code]).toEqual([403, 'SWY_API_FORBIDDEN']);

    const refused = async (b: Record<string, unknown>) => {
      const r = await call<{ error: { code: string } }>(fleet.api, fleet.auth, 'POST', '/v1/silences', b);
      return [r.status, r.body.error.code];
    };
    expect(await refused({ ...body, reason: undefined })).toEqual([400, 'SWY_API_BAD_REQUEST']);
    expect(await refused({ ...body, reason: ' ' })).toEqual([400, 'SWY_API_BAD_REQUEST']);
    expect(await refused({ reason: 'all', expires: '1h' })).toEqual([400, 'SWY_ALERTS_SILENCE_INVALID']);
    expect(await refused({ ...body, expires: '2020-01-01T00:00:00Z' })).toEqual([400, 'SWY_ALERTS_SILENCE_INVALID']);
    const missing = await call<{ error: { code: string } }>(
      fleet.api,
      fleet.auth,
      'DELETE',
      '/v1/silences/0f8fad5b-d9cb-469f-a165-70867728950e',
    );
    expect([missing.status, missing.body.error.code]).toEqual([404, 'SWY_ALERTS_SILENCE_NOT_FOUND']);
  });
});
