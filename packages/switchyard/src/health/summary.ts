import type { Finding, HealthReport } from './types.js';

const MARK = { critical: '✖', warning: '⚠', info: 'ℹ' } as const;

/** How long ago, in the largest unit that fits: 45s, 12m, 3h, 2d. */
export function age(since: string, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - Date.parse(since)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** The environment in one line: `healthy`, or the worst severity and the counts. */
export function headline(report: Pick<HealthReport, 'worst' | 'counts'>): string {
  if (report.worst === 'ok') return '✔ healthy';
  const { critical, warning, info } = report.counts;
  const parts = [
    critical ? `${critical} critical` : '',
    warning ? `${warning} warning${warning === 1 ? '' : 's'}` : '',
    info ? `${info} info` : '',
  ].filter(Boolean);
  return `${MARK[report.worst]} ${report.worst}: ${parts.join(', ')}`;
}

export function findingLine(f: Finding, now: Date): string {
  const muted = f.mutedBy ? ` (muted: release ${f.mutedBy.release.slice(0, 8)} causes it)` : '';
  return `${MARK[f.severity]} ${f.severity.padEnd(8)} ${`${f.unit}/${f.part}`.padEnd(28)} ${f.check.padEnd(22)} ${age(f.since, now).padStart(4)}  ${f.message}${muted}`;
}

/** The command that prints a finding's runbook (docs/runbooks.md). */
export function runbookCommand(f: Pick<Finding, 'check'>): string {
  return `switchyard runbook ${f.check}`;
}

/**
 * The one-screen summary: a headline, then a line per finding, worst first, each followed by
 * the command that prints its runbook, and what to do about the worst.
 */
export function describeHealth(report: HealthReport, now = new Date(report.at)): string {
  const lines = [`${report.environment}: ${headline(report)}`];
  for (const f of report.findings) lines.push(`  ${findingLine(f, now)}`, `      runbook: ${runbookCommand(f)}`);
  // What to do is about the worst finding a person must act on: one a release causes goes away with it.
  const first = report.findings.find((f) => !f.mutedBy) ?? report.findings[0];
  if (first) lines.push(`  → ${first.hint}`);
  return `${lines.join('\n')}\n`;
}
