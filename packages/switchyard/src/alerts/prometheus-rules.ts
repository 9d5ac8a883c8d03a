import { stringify } from 'yaml';
import { CHECKS, SEVERITIES, type CheckId, type Severity } from '../health/index.js';
import { runbookLink } from './payloads.js';
import type { AlertRule, AlertsConfig } from './types.js';

/** The health gauge the exported rules read: one series per finding, its value when it was first seen. */
export const FINDING_METRIC = 'switchyard_health_finding_since_timestamp_seconds';

/** What a person does about each check: the description of its exported alerts (the finding's own hint is not a metric). */
const ADVICE: Readonly<Record<CheckId, string>> = {
  'router-replicas': "Look at the router's HAProxy replicas that are not ready: their logs and events.",
  'track-endpoints': 'Look at the replicas of the track that are not ready: probes, logs, events, the node.',
  'track-version': 'A roll did not finish or an old deployment was left behind: finish or roll back the release.',
  'track-over-replicated':
    'More replicas are ready than desired: a roll in progress, or something outside Switchyard scaled it.',
  leftovers:
    'Objects no desired state explains (an old version left running): the finding names each and the command that removes it.',
  'release-stuck':
    'The release stays in its stage past its duration: look at its gates and verdicts, then resume, pause or roll back.',
  'release-gate-failing':
    "A gate of the release's current stage fails: the release rolls back on its own once the evidence is enough.",
  'release-rolled-back':
    'The newest release of the service was rolled back or aborted: it runs its previous version; look at the verdicts before deploying a fix.',
  'release-failed':
    "The revert of a release did not complete: compare the service's tracks and routing with the version before, and roll back again.",
  'worker-replicas':
    'A worker class has fewer ready replicas than its autoscaler wants: look at its pods or processes.',
  'worker-backlog-age':
    "A worker class's oldest waiting task waits past 10 times the class's timeout: its replicas do not keep up or are stuck.",
  'worker-dead-letters':
    "Tasks were dead-lettered in the window: read their x-switchyard-reason headers in the worker's dead-letter queue.",
  'worker-escalation-stuck':
    'Escalated tasks wait in the fallback queue while the fallback class has no ready replica: look at that class.',
  'worker-task-kills':
    'Tasks keep being taken back from dying workers: the replicas are killed while they hold tasks (OOMKilled, crashes).',
  'broker-unreachable':
    "The broker's management API cannot be read: the workers' queues are not watched and their autoscalers are blind.",
  'notifier-failing': 'An alert receiver does not take notifications: check its URL variable and that it answers.',
};

export interface PrometheusRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface PrometheusRuleFile {
  readonly groups: readonly { readonly name: string; readonly rules: readonly PrometheusRule[] }[];
}

const rank = (s: Severity) => SEVERITIES.indexOf(s);
const takes = (rule: AlertRule, check: CheckId) => rule.checks === undefined || rule.checks.includes(check);
const quote = (value: string) => JSON.stringify(value);
const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const oneOf = (label: string, values: readonly string[]) =>
  values.length === 1
    ? `${label}=${quote(values[0] as string)}`
    : `${label}=~${quote(values.map(escapeRegex).join('|'))}`;

/** Prometheus's duration of a rule's `for`: `30s`, `5m`, `1h30m`, `0s`. */
export function promDuration(ms: number): string {
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
  }
  return parts.join('') || '0s';
}

/** The findings of one check a rule would take, as a selector of the finding gauge. */
function selector(rule: AlertRule, check: CheckId, environment: string): string {
  const severities = SEVERITIES.filter((s) => rank(s) <= rank(rule.severity));
  const matchers = [
    `check=${quote(check)}`,
    oneOf('severity', severities),
    ...(rule.services ? [oneOf('unit', rule.services)] : []),
    `environment=${quote(environment)}`,
  ];
  return `${FINDING_METRIC}{${matchers.join(', ')}}`;
}

/** Whether an earlier rule takes every finding of the check this one would: this one then never fires for it. */
const shadows = (earlier: AlertRule, rule: AlertRule, check: CheckId) =>
  takes(earlier, check) &&
  rank(earlier.severity) >= rank(rule.severity) &&
  (earlier.services === undefined || (rule.services ?? []).every((s) => earlier.services?.includes(s))) &&
  (earlier.services === undefined || rule.services !== undefined);

/**
 * The environment's alert rules as a Prometheus rule file over the health gauges of `/metrics`:
 * one alert per check within each rule, named by the check. A finding goes to the first rule
 * that takes it, as in the server, so each alert leaves out (`unless`) what an earlier rule takes.
 */
export function prometheusRules(environment: string, alerts: AlertsConfig): PrometheusRuleFile {
  const rules: PrometheusRule[] = [];
  alerts.rules.forEach((rule, index) => {
    const earlier = alerts.rules.slice(0, index);
    for (const check of CHECKS) {
      if (!takes(rule, check) || earlier.some((e) => shadows(e, rule, check))) continue;
      const expr = [
        selector(rule, check, environment),
        ...earlier.filter((e) => takes(e, check)).map((e) => `unless ${selector(e, check, environment)}`),
      ].join('\n');
      const link = alerts.url
        ? `${alerts.url.replace(/\/+$/, '')}/v1/health/{{ $labels.unit }}?env=${encodeURIComponent(environment)}`
        : undefined;
      rules.push({
        alert: check,
        expr,
        for: promDuration(rule.forMs),
        labels: { rule: rule.name, service: '{{ $labels.unit }}' },
        annotations: {
          summary: `${check} of {{ $labels.unit }} {{ $labels.part }} in {{ $labels.environment }} since {{ $value | humanizeTimestamp }}`,
          description: ADVICE[check],
          ...(link ? { link } : {}),
          ...(alerts.url ? { runbook_url: runbookLink(alerts.url, { environment }, { check, rule: rule.name }) } : {}),
        },
      });
    }
  });
  return { groups: [{ name: `switchyard-${environment}`, rules }] };
}

/** The rule file as YAML, with a header saying where it comes from and how Alertmanager should repeat. */
export function prometheusRulesYaml(environment: string, alerts: AlertsConfig): string {
  const header = [
    `# Prometheus alerting rules equivalent to the alert rules of the environment ${environment},`,
    "# over the health gauges of Switchyard's /metrics (switchyard alerts rules). The environment",
    `# repeats a group still firing every ${promDuration(alerts.repeatMs)}: set Alertmanager's repeat_interval to match.`,
  ];
  return `${header.join('\n')}\n${stringify(prometheusRules(environment, alerts), { lineWidth: 0 })}`;
}
