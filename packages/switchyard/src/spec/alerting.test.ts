import { describe, expect, it } from 'vitest';
import { baseTexts, fleetOf, setIn } from '../../test/support/config.js';
import { DEFAULT_ALERTS, DEFAULT_RULES } from './alerting.js';

const PROD = 'environments/production.yaml';
const MAIL = {
  name: 'oncall',
  type: 'email',
  urlFrom: 'SMTP_URL',
  to: 'oncall@example.com',
  from: 'Switchyard <alerts@example.com>',
};

function withAlerts(alerts: unknown) {
  const texts = baseTexts();
  texts[PROD] = setIn(texts[PROD] as string, 'alerts', alerts);
  return texts;
}

const alertsOf = (alerts: unknown) => fleetOf(withAlerts(alerts)).environment.alerts;

function refusal(alerts: unknown): { path?: unknown; message: string }[] {
  try {
    fleetOf(withAlerts(alerts));
  } catch (err) {
    return (err as { issues: { path?: unknown; message: string }[] }).issues.map(({ path, message }) => ({
      path,
      message,
    }));
  }
  throw new Error('the configuration was taken');
}

describe("an environment's alerts block", () => {
  it('gives the built-in rules, a 4h repeat and no receivers when absent', () => {
    expect(fleetOf(baseTexts()).environment.alerts).toEqual(DEFAULT_ALERTS);
    expect(DEFAULT_ALERTS.repeatMs).toBe(4 * 3600_000);
    expect(DEFAULT_RULES.map((r) => [r.severity, r.forMs])).toEqual([
      ['warning', 0],
      ['critical', 30_000],
      ['warning', 300_000],
    ]);
  });

  it('puts its own rules before the built-in ones, each field read from its own key', () => {
    const rules = alertsOf({
      rules: [{ name: 'api-fast', checks: ['track-endpoints'], severity: 'info', services: ['api'], for: '10s' }],
    }).rules;
    expect(rules).toEqual([
      { name: 'api-fast', checks: ['track-endpoints'], severity: 'info', services: ['api'], forMs: 10_000 },
      ...DEFAULT_RULES,
    ]);
  });

  it('reads repeat, url and receivers', () => {
    const alerts = alertsOf({
      repeat: '1h',
      url: 'https://switchyard.example.com',
      receivers: [
        { name: 'ops', type: 'slack', urlFrom: 'OPS_SLACK_URL' },
        { name: 'pager', type: 'webhook', urlFrom: 'PAGER_URL' },
      ],
    });
    expect(alerts.repeatMs).toBe(3_600_000);
    expect(alerts.url).toBe('https://switchyard.example.com');
    expect(alerts.receivers).toEqual([
      { name: 'ops', type: 'slack', urlFrom: 'OPS_SLACK_URL' },
      { name: 'pager', type: 'webhook', urlFrom: 'PAGER_URL' },
    ]);
  });

  it('reads e-mail receivers (one address or a list) and Alertmanager receivers', () => {
    const alerts = alertsOf({
      receivers: [
        MAIL,
        { ...MAIL, name: 'team', to: ['a@example.com', 'b@example.org'], from: 'alerts@example.com' },
        { name: 'am', type: 'alertmanager', urlFrom: 'AM_URL' },
      ],
    });
    expect(alerts.receivers).toEqual([
      { ...MAIL, to: ['oncall@example.com'] },
      { ...MAIL, name: 'team', to: ['a@example.com', 'b@example.org'], from: 'alerts@example.com' },
      { name: 'am', type: 'alertmanager', urlFrom: 'AM_URL' },
    ]);
  });

  it.each([
    [{ rules: [{ name: 'r', severity: 'warning', for: '1m', checks: ['track-endpoint'] }] }, /must be one of/],
    [
      { rules: [{ name: 'r', severity: 'bad', for: '1m' }] },
      /severity must be one of "critical", "warning", "info" \(got "bad"\)/,
    ],
    [{ rules: [{ name: 'r', severity: 'warning', for: 'soon' }] }, /must be a duration/],
    [{ rules: [{ name: 'r', severity: 'warning' }] }, /for/],
    [{ repeat: '0s' }, /must be longer than 0/],
    [{ url: 'ftp://x' }, /must be an http\(s\) URL/],
    [{ receivers: [{ name: 'ops', type: 'slack', urlFrom: 'https://hooks.slack.com/x' }] }, /environment variable/],
    [
      { receivers: [{ name: 'ops', type: 'pager', urlFrom: 'X' }] },
      /type must be one of "slack", "webhook", "email", "alertmanager"/,
    ],
    [{ receivers: [{ name: 'ops', type: 'email', urlFrom: 'SMTP_URL', from: MAIL.from }] }, /\["to"\]|to/],
    [{ receivers: [{ name: 'ops', type: 'email', urlFrom: 'SMTP_URL', to: MAIL.to }] }, /from/],
    [{ receivers: [{ ...MAIL, to: 'oncall' }] }, /must be an e-mail address, e.g. ops@example.com/],
    [{ receivers: [{ ...MAIL, to: ['ops@example.com', 'a b@example.com'] }] }, /must be an e-mail address/],
    [{ receivers: [{ ...MAIL, to: [] }] }, /must name at least one address/],
    [{ receivers: [{ ...MAIL, from: 'Switchyard' }] }, /must be an e-mail address or "Name <address>"/],
    [{ receivers: [{ ...MAIL, urlFrom: 'smtp://mail.example.com' }] }, /environment variable/],
    [{ receivers: [{ ...MAIL, cc: 'x@example.com' }] }, /cc/],
    [{ receivers: [{ name: 'am', type: 'alertmanager', urlFrom: 'AM_URL', to: 'x@example.com' }] }, /to/],
    [
      {
        receivers: [
          { name: 'ops', type: 'slack', urlFrom: 'A' },
          { name: 'ops', type: 'webhook', urlFrom: 'B' },
        ],
      },
      /receiver "ops" is named twice/,
    ],
    [{ receivers: [{ name: 'ops', type: 'slack', url: 'https://hooks.slack.com/x' }] }, /url/],
  ])('refuses %j', (alerts, says) => {
    const issues = refusal(alerts);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.map((i) => `${JSON.stringify(i.path)} ${i.message}`).join('\n')).toMatch(says);
  });
});
