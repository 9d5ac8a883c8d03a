import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERTS, DEFAULT_RULES, type AlertsConfig } from '../spec/alerting.js';
import { promDuration, prometheusRules, prometheusRulesYaml } from './prometheus-rules.js';

const M = 'switchyard_health_finding_since_timestamp_seconds';
const withRules = (rules: AlertsConfig['rules'], more: Partial<AlertsConfig> = {}): AlertsConfig => ({
  ...DEFAULT_ALERTS,
  rules: [...rules, ...DEFAULT_RULES],
  ...more,
});
const rulesOf = (alerts: AlertsConfig) => prometheusRules('production', alerts).groups[0]?.rules ?? [];

describe("an environment's alert rules exported for Prometheus", () => {
  it('has one alert per check within each built-in rule, the warning one leaving out what the critical one takes', () => {
    const rules = rulesOf(DEFAULT_ALERTS);
    expect(rules).toHaveLength(30);
    // A release that ended badly is the releases rule's, at once; the others never take it.
    expect(rules.filter((r) => r.alert === 'release-rolled-back').map((r) => [r.labels.rule, r.for])).toEqual([
      ['releases', '0s'],
    ]);
    const endpoints = rules.filter((r) => r.alert === 'track-endpoints');
    expect(endpoints.map((r) => [r.labels.rule, r.for, r.expr])).toEqual([
      ['critical', '30s', `${M}{check="track-endpoints", severity="critical", environment="production"}`],
      [
        'warning',
        '5m',
        `${M}{check="track-endpoints", severity=~"critical|warning", environment="production"}\n` +
          `unless ${M}{check="track-endpoints", severity="critical", environment="production"}`,
      ],
    ]);
  });

  it("takes a rule's checks, severity, services and for, each from its own field", () => {
    const rules = rulesOf(
      withRules([
        {
          name: 'api-fast',
          checks: ['track-endpoints', 'router-replicas'],
          severity: 'info',
          services: ['api', 'web.v2'],
          forMs: 2000,
        },
      ]),
    );
    const own = rules.filter((r) => r.labels.rule === 'api-fast');
    expect(own.map((r) => r.alert)).toEqual(['router-replicas', 'track-endpoints']);
    expect(own[1]).toMatchObject({
      for: '2s',
      expr: `${M}{check="track-endpoints", severity=~"critical|warning|info", unit=~"api|web\\\\.v2", environment="production"}`,
      labels: { rule: 'api-fast', service: '{{ $labels.unit }}' },
    });
    const later = rules.find((r) => r.labels.rule === 'critical' && r.alert === 'track-endpoints');
    expect(later?.expr).toBe(
      `${M}{check="track-endpoints", severity="critical", environment="production"}\n` +
        `unless ${M}{check="track-endpoints", severity=~"critical|warning|info", unit=~"api|web\\\\.v2", environment="production"}`,
    );
    expect(rules.find((r) => r.labels.rule === 'critical' && r.alert === 'track-version')?.expr).not.toContain(
      'unless',
    );
  });

  it('leaves out a check an earlier rule takes whole', () => {
    const rules = rulesOf(
      withRules([{ name: 'all-endpoints', checks: ['track-endpoints'], severity: 'warning', forMs: 60_000 }]),
    );
    expect(rules.filter((r) => r.alert === 'track-endpoints').map((r) => r.labels.rule)).toEqual(['all-endpoints']);
    expect(rules.filter((r) => r.alert === 'track-version').map((r) => r.labels.rule)).toEqual(['critical', 'warning']);
  });

  it('links to the service and the runbook when the alerts have a url, and says what to do about the check', () => {
    const rule = rulesOf({ ...DEFAULT_ALERTS, url: 'https://switchyard.example.com/' }).find(
      (r) => r.alert === 'router-replicas',
    );
    expect(rule?.annotations).toEqual({
      summary:
        'router-replicas of {{ $labels.unit }} {{ $labels.part }} in {{ $labels.environment }} since {{ $value | humanizeTimestamp }}',
      description: "Look at the router's HAProxy replicas that are not ready: their logs and events.",
      link: 'https://switchyard.example.com/v1/health/{{ $labels.unit }}?env=production',
      runbook_url: 'https://switchyard.example.com/v1/runbooks/router-replicas?env=production&rule=critical',
    });
    expect(rulesOf(DEFAULT_ALERTS)[0]?.annotations).not.toHaveProperty('link');
    expect(rulesOf(DEFAULT_ALERTS)[0]?.annotations).not.toHaveProperty('runbook_url');
  });

  it('writes Prometheus durations', () => {
    expect([0, 500, 2000, 30_000, 300_000, 5_400_000, 86_400_000 + 1000].map(promDuration)).toEqual([
      '0s',
      '500ms',
      '2s',
      '30s',
      '5m',
      '1h30m',
      '1d1s',
    ]);
  });

  it('prints YAML that reads back as the same rules, with a header naming the repeat, the same each time', () => {
    const alerts = withRules([{ name: 'r', severity: 'warning', forMs: 1000 }], { repeatMs: 3_600_000 });
    const text = prometheusRulesYaml('production', alerts);
    expect(text.split('\n')[2]).toContain('every 1h');
    expect(parse(text)).toEqual(prometheusRules('production', alerts));
    expect(prometheusRulesYaml('production', alerts)).toBe(text);
  });
});
