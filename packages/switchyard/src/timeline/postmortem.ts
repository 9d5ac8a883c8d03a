import type { ServiceImpact } from './impact.js';
import type { TimelineEntry } from './types.js';

/** A change that may have contributed: a release, or a commit of the config repository. */
export interface ContributingChange {
  readonly at: string;
  readonly kind: 'release' | 'commit';
  readonly service: string | null;
  readonly who: string;
  readonly text: string;
  /** The release id, or the commit for a commit. */
  readonly ref: string;
  /** The config commits of a release (its desired-state commits), or the commit itself. */
  readonly commits: readonly string[];
}

/** Everything a post-mortem skeleton is written from (the API's /v1/postmortem answer). */
export interface PostmortemInput {
  readonly environment: string;
  readonly service: string | null;
  readonly since: string;
  readonly until: string;
  readonly entries: readonly TimelineEntry[];
  /** Set when the window held more entries than one post-mortem shows. */
  readonly truncated: boolean;
  readonly impact: readonly ServiceImpact[];
  readonly changes: readonly ContributingChange[];
}

/** Markdown table cells hold one line and no pipe. */
const cell = (text: string) => text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
const minute = (at: string) => `${at.slice(0, 16).replace('T', ' ')} UTC`;
const second = (at: string) => `${at.slice(0, 19).replace('T', ' ')}`;
const short = (ref: string) => (/^[0-9a-f]{40}$/.test(ref) ? ref.slice(0, 12) : ref);

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ];
}

function impactSection(input: PostmortemInput): string[] {
  const lines = ['## Impact', '', '_Who was hurt, how badly, for how long: write it in words here._', ''];
  if (input.impact.length === 0)
    return [
      ...lines,
      'No router counters were read in this window: Switchyard keeps them only as the releases measure their stages.',
      'Take requests and errors from your metrics system (Prometheus, the routers’ own statistics) for this window.',
    ];
  const rate = (i: ServiceImpact) => (i.requests > 0 ? `${((i.errors / i.requests) * 100).toFixed(2)}%` : '-');
  return [
    ...lines,
    'Requests and errors per service, from the routers’ counters the releases read (only while a release measured a stage;',
    'outside those readings nothing is stored):',
    '',
    ...table(
      ['Service', 'Requests', 'Errors', 'Error rate', 'Readings', 'From', 'To'],
      input.impact.map((i) => [
        i.service,
        String(i.requests),
        String(i.errors),
        rate(i),
        String(i.readings),
        second(i.from),
        second(i.to),
      ]),
    ),
  ];
}

function timelineSection(input: PostmortemInput): string[] {
  const lines = ['## Timeline', '', 'All times UTC.', ''];
  if (input.entries.length === 0) return [...lines, 'Switchyard recorded nothing in this window.'];
  return [
    ...lines,
    ...table(
      ['Time', 'Kind', 'Service', 'Who', 'What', 'Ref'],
      input.entries.map((e) => [
        second(e.at),
        e.kind,
        e.service ?? '-',
        e.who,
        e.text,
        e.ref ? `\`${short(e.ref)}\`` : '',
      ]),
    ),
    ...(input.truncated
      ? [
          '',
          `_The window held more entries than shown: see \`switchyard timeline --since ${input.since} --until ${input.until}\`._`,
        ]
      : []),
  ];
}

function changesSection(input: PostmortemInput): string[] {
  const lines = ['## Contributing changes', ''];
  if (input.changes.length === 0) return [...lines, 'No release and no configuration commit in this window.'];
  return [
    ...lines,
    ...table(
      ['Time', 'Change', 'Service', 'Who', 'Ref', 'Commits'],
      input.changes.map((c) => [
        second(c.at),
        c.text,
        c.service ?? '-',
        c.who,
        `\`${short(c.ref)}\``,
        c.commits.map((sha) => `\`${short(sha)}\``).join(' ') || '-',
      ]),
    ),
  ];
}

/**
 * A blameless post-mortem skeleton in markdown: what Switchyard knows of the window (timeline,
 * impact from the routers' counters, contributing changes with their commits), and empty
 * sections for what people write. The same input always gives the same text.
 */
export function renderPostmortem(input: PostmortemInput): string {
  const scope = `${input.environment}${input.service ? `/${input.service}` : ''}`;
  const services = [...new Set(input.entries.map((e) => e.service).filter((s): s is string => s !== null))].sort();
  const lines = [
    `# Post-mortem: ${scope}, ${minute(input.since)} – ${minute(input.until)}`,
    '',
    '_Blameless: this document is about what happened and how the system let it happen, not about who._',
    '',
    `- **Environment:** ${input.environment}`,
    `- **Window:** ${input.since} – ${input.until}`,
    `- **Services involved:** ${services.join(', ') || 'none recorded'}`,
    '- **Status:** draft',
    '',
    '## Summary',
    '',
    '_What happened, in two or three sentences: what users saw, for how long, and how it ended._',
    '',
    ...impactSection(input),
    '',
    ...timelineSection(input),
    '',
    ...changesSection(input),
    '',
    '## Root cause',
    '',
    '',
    '## What went well',
    '',
    '',
    '## What went wrong',
    '',
    '',
    '## Action items',
    '',
    ...table(['Action', 'Owner', 'Due date', 'Ticket'], [['', '', '', '']]),
    '',
  ];
  return lines.join('\n');
}
