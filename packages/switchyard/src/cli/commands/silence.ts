import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { formatTable } from '../format.js';
import { SwitchyardError } from '../../errors/index.js';
import { API_OPTION, apiTarget, ENV_OPTION, callApi } from '../client.js';
import { printData, withOutput, type OutputFlags } from '../output.js';

/** A silence as the API shows it. */
interface SilenceView {
  id: string;
  environment: string;
  services?: string[];
  checks?: string[];
  author: string;
  reason: string;
  createdAt: string;
  expiresAt: string;
  expiredAt: string | null;
  expiredBy: string | null;
  status: 'active' | 'expired';
}

const collect = (v: string, all: string[]) => [...all, ...v.split(',').filter(Boolean)];
const minute = (at: string | null) => (at ? `${at.slice(0, 16).replace('T', ' ')}Z` : '-');

function table(silences: readonly SilenceView[]): string {
  const rows = [['ID', 'SERVICES', 'CHECKS', 'AUTHOR', 'EXPIRES', 'STATUS', 'REASON']];
  for (const s of silences)
    rows.push([
      s.id,
      s.services?.join(',') ?? '*',
      s.checks?.join(',') ?? '*',
      s.author,
      minute(s.expiredAt ?? s.expiresAt),
      s.status,
      s.reason,
    ]);
  return formatTable(rows);
}

const describe = (s: SilenceView) => `services ${s.services?.join(',') ?? '*'}, checks ${s.checks?.join(',') ?? '*'}`;

/** `switchyard silence add|list|expire`: mute an environment's alerts for a while, with a reason. */
export function registerSilence(program: Command): void {
  const silence = program
    .command('silence')
    .description("Silences of an environment's alerts: add (with a reason and an expiry), list, expire");

  withOutput(
    silence
      .command('add')
      .description('Mute the alerts of some services or checks until the expiry; the author is your token')
      .option('--service <name>', 'a service or worker to mute (repeat, or comma-separated)', collect, [] as string[])
      .option(
        '--check <id>',
        'a health check to mute, e.g. track-endpoints (repeat, or comma-separated)',
        collect,
        [] as string[],
      )
      .requiredOption('--reason <text>', 'why: shown in the list and the audit log')
      .requiredOption('--expires <when>', 'a duration from now (30m, 4h) or an RFC 3339 time; at most 90 days')
      .option(...API_OPTION)
      .option(...ENV_OPTION),
  ).action(
    async (
      opts: {
        service: string[];
        check: string[];
        reason: string;
        expires: string;
        api?: string;
        env?: string;
      } & OutputFlags,
    ) => {
      if (opts.service.length === 0 && opts.check.length === 0)
        throw new SwitchyardError('SWY_CLI_USAGE', {
          message: 'Name what to mute: --service <name> and/or --check <id>',
        });
      const body = {
        ...(opts.service.length ? { services: opts.service } : {}),
        ...(opts.check.length ? { checks: opts.check } : {}),
        reason: opts.reason,
        expires: opts.expires,
      };
      const s = await callApi<SilenceView>(apiTarget(opts), 'POST', '/v1/silences', body, randomUUID());
      if (!printData(opts, s)) process.stdout.write(`✔ silence ${s.id} (${describe(s)}) until ${s.expiresAt}\n`);
    },
  );

  withOutput(
    silence
      .command('list')
      .description("The environment's silences muting now, newest first (--all: ended ones too)")
      .option('--all', 'ended silences too')
      .option(...API_OPTION)
      .option(...ENV_OPTION),
  ).action(async (opts: { all?: boolean; api?: string; env?: string } & OutputFlags) => {
    const result = await callApi<{ silences: SilenceView[] }>(
      apiTarget(opts),
      'GET',
      `/v1/silences${opts.all ? '?all=true' : ''}`,
    );
    if (!printData(opts, result)) process.stdout.write(`${table(result.silences)}\n`);
  });

  withOutput(
    silence
      .command('expire')
      .description('End a silence now: its alerts notify again')
      .argument('<id>')
      .option(...API_OPTION)
      .option(...ENV_OPTION),
  ).action(async (id: string, opts: { api?: string; env?: string } & OutputFlags) => {
    const s = await callApi<SilenceView>(
      apiTarget(opts),
      'DELETE',
      `/v1/silences/${encodeURIComponent(id)}`,
      undefined,
      randomUUID(),
    );
    if (!printData(opts, s))
      process.stdout.write(`✔ silence ${s.id} (${describe(s)}) ended at ${s.expiredAt ?? s.expiresAt}\n`);
  });
}
