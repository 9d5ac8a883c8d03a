import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestFleet, type TestFleet } from '../../test/support/local-fleet.js';
import {
  eventually,
  portForLater,
  startAlertmanager,
  startSmtpServer,
  type GettableAlert,
  type ReceivedMail,
  type TestAlertmanager,
  type TestSmtpServer,
} from '../../test/support/receivers.js';
import { call } from '../../test/support/release.js';
import type { HealthReport } from '../health/index.js';

/**
 * Alerts on the local runtime with real HAProxy, told by e-mail through a real SMTP server
 * (Debian's aiosmtpd, read from its Maildir) and to a real Alertmanager (read back through its
 * v2 API): a track below 2 ready replicas is one e-mail and one Alertmanager alert, then a
 * resolved e-mail and the alert ending. The SMTP server is not running at first: the message
 * waits and arrives once it is up. A finding that clears while its group still fires ends its
 * Alertmanager alert at once, and the next e-mail says it cleared.
 */

const SMTP_VARIABLE = 'SWY_ITEST_ALERTS_SMTP_URL';
const ALERTMANAGER_VARIABLE = 'SWY_ITEST_ALERTS_ALERTMANAGER_URL';
const CONSOLE = 'https://switchyard.test';
const LINK = `${CONSOLE}/v1/health/api?env=sandbox`;

describe('alerts of a local fleet by e-mail and to Alertmanager', () => {
  let fleet: TestFleet;
  let alertmanager: TestAlertmanager;
  let smtp: TestSmtpServer | undefined;
  let smtpPort: number;
  const mails = (): ReceivedMail[] => smtp?.mails() ?? [];
  const health = async () => (await call<HealthReport>(fleet.api, fleet.auth, 'GET', '/v1/health')).body;
  const freePids = () => fleet.runtime.track('api', 'free').pids();
  const signal = (pids: readonly number[], name: NodeJS.Signals) => pids.forEach((pid) => process.kill(pid, name));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const endpointAlerts = async () =>
    (await alertmanager.alerts()).filter((a) => a.labels.alertname === 'track-endpoints');

  const until = <T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000) =>
    eventually(what, check, {
      timeoutMs,
      context: async () =>
        `mails ${JSON.stringify(mails().map((m) => m.subject))}, alerts ${JSON.stringify(await alertmanager.alerts())}`,
    });
  const nthMail = (n: number) => () => mails()[n - 1];

  beforeAll(async () => {
    smtpPort = await portForLater();
    alertmanager = await startAlertmanager();
    process.env[SMTP_VARIABLE] = `smtp://127.0.0.1:${smtpPort}`;
    process.env[ALERTMANAGER_VARIABLE] = alertmanager.url;
    fleet = await startTestFleet({
      service: { probes: { readiness: { path: '/ready', periodSeconds: 1 } } },
      environment: {
        alerts: {
          url: CONSOLE,
          repeat: '1h',
          rules: [{ name: 'endpoints-fast', checks: ['track-endpoints'], severity: 'warning', for: '2s' }],
          receivers: [
            {
              name: 'ops-mail',
              type: 'email',
              urlFrom: SMTP_VARIABLE,
              to: ['oncall@example.com', 'web-team@example.org'],
              from: 'Switchyard <alerts@example.com>',
            },
            { name: 'ops-alertmanager', type: 'alertmanager', urlFrom: ALERTMANAGER_VARIABLE },
          ],
        },
      },
      alertsEveryMs: 300,
      alertsRetryMs: 200,
    });
  });
  afterAll(async () => {
    if (fleet) signal([...freePids(), ...fleet.runtime.track('api', 'paid').pids()], 'SIGCONT');
    await fleet?.stop();
    await smtp?.stop();
    await alertmanager?.stop();
    delete process.env[SMTP_VARIABLE];
    delete process.env[ALERTMANAGER_VARIABLE];
  });

  it('posts one alert to Alertmanager, and keeps the e-mail for the SMTP server that is down until it is up', async () => {
    const [first] = freePids();
    signal([first as number], 'SIGSTOP');

    const [alert] = await until('the Alertmanager alert', async () => {
      const found = await endpointAlerts();
      return found.length > 0 ? found : undefined;
    });
    expect(alert).toMatchObject({
      labels: {
        alertname: 'track-endpoints',
        environment: 'sandbox',
        service: 'api',
        part: 'free',
        severity: 'warning',
        rule: 'endpoints-fast',
      },
      annotations: { link: LINK },
      generatorURL: LINK,
      status: { state: 'active' },
    } satisfies Partial<Omit<GettableAlert, 'status'>> & { status: { state: 'active' } });
    expect(alert?.annotations.summary).toMatch(/free/);
    expect(alert?.annotations.description).not.toBe('');
    const finding = (await health()).findings.find((f) => f.check === 'track-endpoints');
    expect(Date.parse(alert?.startsAt ?? '')).toBe(Date.parse(finding?.since ?? ''));
    expect(Date.parse(alert?.endsAt ?? '')).toBeGreaterThan(Date.now() + 3600_000);

    const failing = await until('notifier-failing of the e-mail receiver in health', async () =>
      (await health()).findings.find((f) => f.check === 'notifier-failing' && f.unit === 'ops-mail'),
    );
    expect(failing.severity).toBe('warning');

    smtp = await startSmtpServer({ port: smtpPort });
    const mail = await until('the firing e-mail', nthMail(1));
    expect(mail.subject).toBe('[FIRING] sandbox/api: 1 finding (warning)');
    expect(mail.headers.from).toBe('Switchyard <alerts@example.com>');
    expect(mail.rcptTo).toEqual(['oncall@example.com', 'web-team@example.org']);
    expect(mail.text).toContain('WARNING  track-endpoints  free');
    expect(mail.text).toContain('  Rule:       endpoints-fast');
    expect(mail.text).toContain(`Open api: ${LINK}`);
    expect(mail.html).toContain(`<a href="${LINK}">Open api</a>`);
    expect(mail.html).toContain('track-endpoints <small>free</small>');

    await until('notifier-failing cleared', async () =>
      (await health()).findings.some((f) => f.check === 'notifier-failing') ? undefined : true,
    );
    await sleep(2000);
    expect(mails()).toHaveLength(1);
    expect(await endpointAlerts()).toHaveLength(1);
  });

  it('sends one resolved e-mail and ends the Alertmanager alert when the track serves again', async () => {
    signal(freePids(), 'SIGCONT');
    const resolved = await until('the resolved e-mail', nthMail(2));
    expect(resolved.subject).toBe('[RESOLVED] sandbox/api: 1 finding cleared');
    expect(resolved.text).toContain('WARNING  track-endpoints  free  (cleared)');
    await until('the Alertmanager alert ended', async () => ((await endpointAlerts()).length === 0 ? true : undefined));
    await sleep(1500);
    expect(mails()).toHaveLength(2);
    expect(await endpointAlerts()).toEqual([]);
  });

  it('ends the Alertmanager alert of a finding that clears while the rest of its group still fires', async () => {
    const paidPids = () => fleet.runtime.track('api', 'paid').pids();
    const [free, paid] = [freePids()[0] as number, paidPids()[0] as number];
    signal([free, paid], 'SIGSTOP');
    await until('two Alertmanager alerts', async () => ((await endpointAlerts()).length === 2 ? true : undefined));
    // The two may start firing an evaluation apart: one e-mail each time a finding joins.
    await until('an e-mail with both', () =>
      mails().find((m) => m.subject === '[FIRING] sandbox/api: 2 findings (warning)'),
    );
    const before = mails().length;

    signal([paid], 'SIGCONT');
    const parts = async () => (await endpointAlerts()).map((a) => a.labels.part);
    await until('the paid alert ended, the free one left', async () =>
      JSON.stringify(await parts()) === '["free"]' ? true : undefined,
    );
    const cleared = await until('the e-mail telling paid cleared', nthMail(before + 1));
    expect(cleared.subject).toBe('[FIRING] sandbox/api: 1 finding (warning)');
    expect(cleared.text).toContain('Cleared since the last message:\n  track-endpoints  paid');

    signal([free], 'SIGCONT');
    await until('the resolved e-mail', nthMail(before + 2));
    await until('no alert left', async () => ((await endpointAlerts()).length === 0 ? true : undefined));
  });
});
