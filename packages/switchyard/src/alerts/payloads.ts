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

/** The findings of `ended` that cleared: their check and part fire no more in the group. */
export function clearedOf(n: Notification): Notification['findings'] {
  return (n.ended ?? []).filter((e) => !n.findings.some((f) => f.check === e.check && f.part === e.part));
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
    cleared: clearedOf(n).map((f) => ({
      rule: f.rule,
      check: f.check,
      severity: f.severity,
      part: f.part,
      since: f.since,
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
  if (n.status === 'firing')
    lines.push(...clearedOf(n).map((f) => `:white_check_mark: ~${f.check} ${f.part}~ cleared`));
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
  const cleared = n.status === 'firing' ? clearedOf(n).map((f) => `${f.check} ${f.part}: cleared`) : [];
  return {
    text: [title, ...n.findings.map((f) => `${f.check} ${f.part}: ${f.message}`), ...cleared].join('\n'),
    blocks,
  };
}

const worstOf = (n: Notification) => SEVERITIES.find((s) => n.findings.some((f) => f.severity === s));
const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** An e-mail's subject: `[FIRING] production/api: 2 findings (critical)`, `[RESOLVED] production/api: 2 findings cleared`. */
export function mailSubject(n: Notification): string {
  const where = `${n.environment}/${n.service}`;
  const count = plural(n.findings.length, 'finding');
  return n.status === 'firing'
    ? `[FIRING] ${where}: ${count} (${worstOf(n) ?? 'info'})`
    : `[RESOLVED] ${where}: ${count} cleared`;
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

const COLOUR = { critical: '#c62828', warning: '#ef6c00', info: '#1565c0' } as const;

/**
 * One e-mail per notification: the subject, a plain-text body and an HTML alternative, each
 * listing every finding (severity, check, since, objects, what to do) and linking to the service.
 */
export function mailMessage(n: Notification, baseUrl?: string): { subject: string; text: string; html: string } {
  const subject = mailSubject(n);
  const link = baseUrl ? serviceLink(baseUrl, n) : undefined;
  const firing = n.status === 'firing';
  const intro = firing
    ? `${plural(n.findings.length, 'finding')} of ${n.service} in ${n.environment} fire:`
    : `These findings of ${n.service} in ${n.environment} cleared:`;
  const textOf = (f: Notification['findings'][number]) =>
    [
      `${f.severity.toUpperCase()}  ${f.check}  ${f.part}${firing ? '' : '  (cleared)'}`,
      `  ${f.message}`,
      `  Since:      ${f.since}`,
      `  Objects:    ${f.objects.length ? f.objects.join(', ') : '-'}`,
      `  What to do: ${f.hint}`,
      `  Rule:       ${f.rule}`,
      ...(baseUrl ? [`  Runbook:    ${runbookLink(baseUrl, n, f)}`] : []),
    ].join('\n');
  const cleared = firing ? clearedOf(n) : [];
  const text = [
    subject,
    '',
    intro,
    '',
    ...n.findings.map((f) => `${textOf(f)}\n`),
    ...(cleared.length > 0
      ? ['Cleared since the last message:', ...cleared.map((f) => `  ${f.check}  ${f.part}`), '']
      : []),
    ...(link ? [`Open ${n.service}: ${link}`, ''] : []),
    `${n.environment} · ${n.service} · ${n.at}`,
    '',
  ].join('\n');
  const cell = 'style="padding:2px 12px 2px 0;vertical-align:top"';
  const htmlOf = (f: Notification['findings'][number]) =>
    [
      `<h3 style="margin:16px 0 4px"><span style="color:${COLOUR[f.severity]}">${f.severity.toUpperCase()}</span> `,
      `${escapeHtml(f.check)} <small>${escapeHtml(f.part)}</small>${firing ? '' : ' (cleared)'}</h3>`,
      `<p style="margin:0 0 4px">${escapeHtml(f.message)}</p>`,
      '<table style="border-collapse:collapse">',
      `<tr><td ${cell}>Since</td><td ${cell}>${escapeHtml(f.since)}</td></tr>`,
      `<tr><td ${cell}>Objects</td><td ${cell}>${f.objects.length ? f.objects.map(escapeHtml).join('<br>') : '-'}</td></tr>`,
      `<tr><td ${cell}>What to do</td><td ${cell}>${escapeHtml(f.hint)}</td></tr>`,
      `<tr><td ${cell}>Rule</td><td ${cell}>${escapeHtml(f.rule)}</td></tr>`,
      baseUrl
        ? `<tr><td ${cell}>Runbook</td><td ${cell}><a href="${escapeHtml(runbookLink(baseUrl, n, f))}">${escapeHtml(f.check)}</a></td></tr>`
        : '',
      '</table>',
    ].join('');
  const html = [
    '<!DOCTYPE html><html><body style="font-family:sans-serif">',
    `<h2>${escapeHtml(subject)}</h2>`,
    `<p>${escapeHtml(intro)}</p>`,
    ...n.findings.map(htmlOf),
    cleared.length > 0
      ? `<p>Cleared since the last message: ${cleared.map((f) => escapeHtml(`${f.check} ${f.part}`)).join(', ')}</p>`
      : '',
    link ? `<p style="margin-top:16px"><a href="${escapeHtml(link)}">Open ${escapeHtml(n.service)}</a></p>` : '',
    `<p style="color:#666">${escapeHtml(`${n.environment} · ${n.service} · ${n.at}`)}</p>`,
    '</body></html>',
    '',
  ].join('\n');
  return { subject, text, html };
}

/** One alert as Alertmanager's v2 API takes it (`POST /api/v2/alerts`, the `postableAlert` of its OpenAPI). */
export interface PostableAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly generatorURL?: string;
}

/**
 * The group's findings as Alertmanager alerts, one per finding, identified by their labels
 * (alertname = the check, environment, service, part, severity, rule). Firing alerts end at
 * `at` + `validForMs` unless told again (the repeat notification renews them before then);
 * a resolved notification ends the same alerts at `at`, and a firing one ends at `at` those of
 * its `ended` (cleared while the group still fires, or of a severity the finding no longer has).
 */
export function alertmanagerAlerts(n: Notification, validForMs: number, baseUrl?: string): PostableAlert[] {
  const firing = n.status === 'firing';
  const endsAt = firing ? new Date(Date.parse(n.at) + validForMs).toISOString() : new Date(n.at).toISOString();
  return [
    ...n.findings.map((f) => alertOf(n, f, endsAt, baseUrl)),
    // What was told before and fires no more so (cleared, or now of another severity: other labels) ends now.
    ...(firing ? (n.ended ?? []).map((f) => alertOf(n, f, new Date(n.at).toISOString(), baseUrl)) : []),
  ];
}

function alertOf(
  n: Notification,
  f: Notification['findings'][number],
  endsAt: string,
  baseUrl: string | undefined,
): PostableAlert {
  const link = baseUrl ? serviceLink(baseUrl, n) : undefined;
  return {
    labels: {
      alertname: f.check,
      environment: n.environment,
      service: n.service,
      part: f.part,
      severity: f.severity,
      rule: f.rule,
    },
    annotations: {
      summary: f.message,
      description: f.hint,
      ...(f.objects.length ? { objects: f.objects.join(', ') } : {}),
      ...(link ? { link } : {}),
      // The annotation Prometheus' and Alertmanager's users read the runbook from.
      ...(baseUrl ? { runbook_url: runbookLink(baseUrl, n, f) } : {}),
    },
    startsAt: new Date(f.since).toISOString(),
    endsAt,
    ...(link ? { generatorURL: link } : {}),
  };
}
