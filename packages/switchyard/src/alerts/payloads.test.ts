import { describe, expect, it } from 'vitest';
import type { Finding } from '../health/index.js';
import { alertmanagerAlerts, mailMessage, mailSubject } from './payloads.js';
import type { Notification } from './types.js';

const endpoints: Finding & { rule: string } = {
  rule: 'critical',
  check: 'track-endpoints',
  severity: 'critical',
  unit: 'api',
  part: 'free',
  since: '2026-03-02T10:00:00.000Z',
  objects: ['api-free-0', 'api-free-1'],
  message: 'track free has 0 of 2 ready endpoints',
  hint: 'Look at the replicas that are not ready.',
};
const version: Finding & { rule: string } = {
  rule: 'warning',
  check: 'track-version',
  severity: 'warning',
  unit: 'api',
  part: 'paid',
  since: '2026-03-02T09:58:00.000Z',
  objects: [],
  message: 'track paid runs <1.4.0> & 1.5.0',
  hint: 'Finish or roll back the release.',
};
const firing: Notification = {
  status: 'firing',
  environment: 'production',
  service: 'api',
  at: '2026-03-02T10:00:30.000Z',
  findings: [endpoints, version],
};
const resolved: Notification = { ...firing, status: 'resolved', at: '2026-03-02T10:05:00.000Z' };
const CONSOLE = 'https://switchyard.example.com/';
const LINK = 'https://switchyard.example.com/v1/health/api?env=production';

describe('the e-mail of a notification', () => {
  it('has a subject a person scans: status, where, how many, the worst severity', () => {
    expect(mailSubject(firing)).toBe('[FIRING] production/api: 2 findings (critical)');
    expect(mailSubject({ ...firing, findings: [version] })).toBe('[FIRING] production/api: 1 finding (warning)');
    expect(mailSubject(resolved)).toBe('[RESOLVED] production/api: 2 findings cleared');
  });

  it('lists each finding in the text body: severity, check, part, since, objects, what to do, and the link', () => {
    const { subject, text } = mailMessage(firing, CONSOLE);
    expect(text.split('\n').slice(0, 3)).toEqual([subject, '', '2 findings of api in production fire:']);
    expect(text).toContain(
      [
        'CRITICAL  track-endpoints  free',
        '  track free has 0 of 2 ready endpoints',
        '  Since:      2026-03-02T10:00:00.000Z',
        '  Objects:    api-free-0, api-free-1',
        '  What to do: Look at the replicas that are not ready.',
        '  Rule:       critical',
      ].join('\n'),
    );
    expect(text).toContain('WARNING  track-version  paid\n');
    expect(text).toContain('  Objects:    -\n');
    expect(text).toContain(`Open api: ${LINK}\n`);
    expect(text.indexOf('track-endpoints')).toBeLessThan(text.indexOf('track-version'));
  });

  it('has an HTML alternative with the same findings, escaped, and a link to the service', () => {
    const { subject, html } = mailMessage(firing, CONSOLE);
    expect(html).toContain(`<h2>${subject}</h2>`);
    expect(html).toContain('track paid runs &lt;1.4.0&gt; &amp; 1.5.0');
    expect(html).not.toContain('<1.4.0>');
    expect(html).toContain('api-free-0<br>api-free-1');
    expect(html).toContain('Finish or roll back the release.');
    expect(html).toContain('2026-03-02T09:58:00.000Z');
    expect(html).toContain(`<a href="${LINK}">Open api</a>`);
  });

  it('has no link without the alerts url, and says the findings cleared when resolved', () => {
    const { text, html } = mailMessage(resolved);
    expect(text).not.toContain('Open api');
    expect(html).not.toContain('<a ');
    expect(text).toContain('These findings of api in production cleared:');
    expect(text).toContain('CRITICAL  track-endpoints  free  (cleared)');
    expect(html).toContain('(cleared)');
  });

  it('renders the same notification byte for byte each time', () => {
    expect(mailMessage(firing, CONSOLE)).toEqual(mailMessage(firing, CONSOLE));
  });
});

describe('the Alertmanager alerts of a notification', () => {
  it('posts one alert per finding, labelled by check, environment, service, part, severity and rule', () => {
    const alerts = alertmanagerAlerts(firing, 6 * 3600_000, CONSOLE);
    expect(alerts).toEqual([
      {
        labels: {
          alertname: 'track-endpoints',
          environment: 'production',
          service: 'api',
          part: 'free',
          severity: 'critical',
          rule: 'critical',
        },
        annotations: {
          summary: 'track free has 0 of 2 ready endpoints',
          description: 'Look at the replicas that are not ready.',
          objects: 'api-free-0, api-free-1',
          link: LINK,
          runbook_url: 'https://switchyard.example.com/v1/runbooks/track-endpoints?env=production&rule=critical',
        },
        startsAt: '2026-03-02T10:00:00.000Z',
        endsAt: '2026-03-02T16:00:30.000Z',
        generatorURL: LINK,
      },
      {
        labels: {
          alertname: 'track-version',
          environment: 'production',
          service: 'api',
          part: 'paid',
          severity: 'warning',
          rule: 'warning',
        },
        annotations: {
          summary: 'track paid runs <1.4.0> & 1.5.0',
          description: 'Finish or roll back the release.',
          link: LINK,
          runbook_url: 'https://switchyard.example.com/v1/runbooks/track-version?env=production&rule=warning',
        },
        startsAt: '2026-03-02T09:58:00.000Z',
        endsAt: '2026-03-02T16:00:30.000Z',
        generatorURL: LINK,
      },
    ]);
  });

  it('ends the same alerts at the time the group resolved', () => {
    const alerts = alertmanagerAlerts(resolved, 6 * 3600_000);
    expect(alerts.map((a) => [a.labels.alertname, a.startsAt, a.endsAt])).toEqual([
      ['track-endpoints', '2026-03-02T10:00:00.000Z', '2026-03-02T10:05:00.000Z'],
      ['track-version', '2026-03-02T09:58:00.000Z', '2026-03-02T10:05:00.000Z'],
    ]);
    expect(alerts.map((a) => a.labels)).toEqual(alertmanagerAlerts(firing, 1000).map((a) => a.labels));
    expect(alerts[0]).not.toHaveProperty('generatorURL');
    expect(alerts[0]?.annotations).not.toHaveProperty('link');
  });
});
