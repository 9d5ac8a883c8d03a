import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { SwitchyardError } from '../../errors/index.js';
import { renderPostmortem, type PostmortemInput, type TimelineEntry } from '../../timeline/index.js';
import { API_OPTION, apiTarget, callApi, ENV_OPTION, type ApiTarget } from '../client.js';
import { formatTable } from '../format.js';
import { printData, withOutput, type OutputFlags } from '../output.js';

interface TimelinePage {
  environment: string;
  since: string;
  until: string;
  entries: TimelineEntry[];
  next: string | null;
  truncated: boolean;
}

interface WindowFlags {
  readonly since?: string;
  readonly until?: string;
  readonly service?: string;
  readonly api?: string;
  readonly env?: string;
}

/** Entries asked per request; a big window is read page after page. */
const PAGE = 1000;

function query(params: Readonly<Record<string, string | undefined>>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
  const text = q.toString();
  return text ? `?${text}` : '';
}

/** Every page of the window, in order. */
async function wholeTimeline(api: ApiTarget, flags: WindowFlags): Promise<TimelinePage> {
  const window = { since: flags.since, until: flags.until, service: flags.service };
  let page = await callApi<TimelinePage>(api, 'GET', `/v1/timeline${query({ ...window, limit: String(PAGE) })}`);
  const entries = [...page.entries];
  while (page.next) {
    // The same window, pinned to the first page's times so that "2h" does not move under the paging.
    page = await callApi<TimelinePage>(
      api,
      'GET',
      `/v1/timeline${query({ since: page.since, until: page.until, service: flags.service, limit: String(PAGE), after: page.next })}`,
    );
    entries.push(...page.entries);
  }
  return { ...page, entries, next: null };
}

const second = (at: string) => `${at.slice(0, 19).replace('T', ' ')}Z`;
const short = (ref: string | null) => (ref === null ? '' : /^[0-9a-f]{40}$/.test(ref) ? ref.slice(0, 12) : ref);

/** The plain ordered table a person reads: time, kind, service, who, what, reference. */
export function timelineTable(page: Pick<TimelinePage, 'entries'>): string {
  return formatTable([
    ['TIME', 'KIND', 'SERVICE', 'WHO', 'WHAT', 'REF'],
    ...page.entries.map((e) => [second(e.at), e.kind, e.service ?? '-', e.who, e.text, short(e.ref)]),
  ]);
}

const windowOptions = (command: Command) =>
  command
    .option('--service <name>', 'only this service or worker (and what concerns the whole environment)')
    .option(...API_OPTION)
    .option(...ENV_OPTION);

/** `switchyard timeline` and `switchyard postmortem`: what happened in a window, and the post-mortem's skeleton. */
export function registerTimeline(program: Command): void {
  withOutput(
    windowOptions(
      program
        .command('timeline')
        .description(
          'One ordered view of what happened: releases, stages and verdicts with gate values, rollbacks, alerts, silences, configuration changes, scaling',
        )
        .option('--since <when>', 'from: a duration back from now (2h, 7d) or an RFC 3339 time', '24h')
        .option('--until <when>', 'to: a duration back from now or an RFC 3339 time (default: now)'),
    ),
  ).action(async (opts: WindowFlags & OutputFlags) => {
    const page = await wholeTimeline(apiTarget(opts), opts);
    if (printData(opts, page)) return;
    const header = `${page.environment}: ${second(page.since)} – ${second(page.until)}, ${page.entries.length} entries`;
    process.stdout.write(
      `${header}\n${page.entries.length ? `${timelineTable(page)}\n` : 'Nothing was recorded in this window.\n'}`,
    );
    if (page.truncated)
      process.stderr.write('⚠ the window held more rows than one read takes: narrow it with --since/--until\n');
  });

  windowOptions(
    program
      .command('postmortem')
      .description(
        "Write a blameless post-mortem skeleton in markdown: the window's timeline, impact from the routers' counters, contributing changes with their commits, and empty sections for root cause and action items",
      )
      .argument('<from>', 'start of the window: an RFC 3339 time or a duration back from now (2h)')
      .argument('<to>', 'end of the window: an RFC 3339 time or a duration back from now (0s for now)')
      .option('-o, --output <file>', 'write the markdown to this file instead of stdout'),
  ).action(async (from: string, to: string, opts: WindowFlags & { output?: string }) => {
    const input = await callApi<PostmortemInput>(
      apiTarget(opts),
      'GET',
      `/v1/postmortem${query({ since: from, until: to, service: opts.service })}`,
    );
    const markdown = renderPostmortem(input);
    if (!opts.output) return void process.stdout.write(markdown);
    await writeFile(opts.output, markdown).catch((err: unknown) => {
      throw new SwitchyardError('SWY_CLI_USAGE', {
        message: `The post-mortem could not be written to ${opts.output}: ${(err as Error).message}`,
        hint: 'Give -o a file in a directory that exists and that you may write.',
      });
    });
    process.stderr.write(
      `✔ post-mortem of ${input.environment} ${input.since} – ${input.until} written to ${opts.output} (${input.entries.length} timeline entries)\n`,
    );
  });
}
