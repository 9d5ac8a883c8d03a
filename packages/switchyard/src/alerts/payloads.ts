import { countsOf, SEVERITIES } from '../health/index.js';
import type { Notification } from './types.js';

/** Where a person looks at the service: its health in the API (or the console behind the same URL). */
export function serviceLink(baseUrl: string, n: Pick<Notification, 'environment' | 'service'>): string {
  const base = baseUrl.replace(/\/+$/, '');
  return `${base}/v1/health/${encodeURIComponent(n.service)}?env=${encodeURIComponent(n.environment)}`;
}

/**
 * Where a person reads what to do about a finding: its runbook as the environment's
 * configuration serves it (the rule's own when the repository has one, else the check's).
 */
export function runbookLink(
  baseUrl: string,
  n: Pick<Notification, 'environment'>,
  f: Pick<Notification['findings'][number], 'check' | 'rule'>,
): string {
  const base = baseUrl.replace(/\/+$/, '');
  return `${base}/v1/runbooks/${encodeURIComponent(f.check)}?env=${encodeURIComponent(n.environment)}&rule=${encodeURIComponent(f.rule)}`;
}

/** One line saying what the group is: `[FIRING] production/api: 1 critical, 1 warning`. */
export function titleOf(n: Notification): string {
  const counts = countsOf(n.findings);
  const tally = SEVERITIES.filter((s) => counts[s] > 0)
    .map((s) => `${counts[s]} ${s}`)
    .join(', ');
  return n.status === 'firing'
    ? `[FIRING] ${n.environment}/${n.service}: ${tally}`
    : `[RESOLVED] ${n.environment}/${n.service}`;
}

/** The generic webhook's body (docs/alerts.md): stable field names, version 1. */
export function webhookBody(n: Notification, baseUrl?: string) {
  return {
    version: 1,
    status: n.status,
    environment: n.environment,
    service: n.service,
    at: n.at,
    title: titleOf(n),
    link: baseUrl ? serviceLink(baseUrl, n) : null,
    findings: n.findings.map((f) => ({
      rule: f.rule,
      check: f.check,
      severity: f.severity,
      part: f.part,
      since: f.since,
      message: f.message,
      hint: f.hint,
      objects: f.objects,
      runbookUrl: baseUrl ? runbookLink(baseUrl, n, f) : null,
    })),
  };
}

const ICON = { critical: ':red_circle:', warning: ':large_orange_circle:', info: ':large_blue_circle:' } as const;

/** Slack's incoming webhook payload: `text` for notifications and old clients, Block Kit `blocks` for the message. */
export function slackBody(n: Notification, baseUrl?: string) {
  const title = titleOf(n);
  const lines = n.findings.map((f) =>
    n.status === 'firing'
      ? `${ICON[f.severity]} *${f.check}* ${f.part}: ${f.message}\n_${f.hint}_${baseUrl ? ` <${runbookLink(baseUrl, n, f)}|Runbook>` : ''}`
      : `:white_check_mark: ~${f.check} ${f.part}~ cleared`,
  );
  const worst = n.findings[0];
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150), emoji: true } },
    ...lines.map((text) => ({ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } })),
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `${n.environment} · ${n.service} · ${n.at}` }],
    },
  ];
  if (baseUrl)
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: `Open ${n.service}` },
          url: serviceLink(baseUrl, n),
          action_id: 'open-service',
        },
        // The worst finding's runbook: the one to read first.
        ...(worst
          ? [
              {
                type: 'button',
                text: { type: 'plain_text', text: 'Runbook' },
                url: runbookLink(baseUrl, n, worst),
                action_id: 'open-runbook',
              },
            ]
          : []),
      ],
    });
  return { text: [title, ...n.findings.map((f) => `${f.check} ${f.part}: ${f.message}`)].join('\n'), blocks };
}
