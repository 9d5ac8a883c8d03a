import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { EXIT, SwitchyardError } from '../../errors/index.js';
import { API_OPTION, apiTarget, callApi, ENV_OPTION, streamEvents, type ApiTarget } from '../client.js';
import { paint } from '../format.js';
import { changeFields } from '../change-options.js';

/** A release as the API shows it. */
export interface ReleaseView {
  id: string;
  service: string;
  environment: string;
  version: string;
  plan: string;
  status: string;
  phase: string;
  stage: {
    index: number;
    name: string;
    of: number;
    track: string | null;
    shares: Record<string, number>;
    legacyShare: number | null;
  } | null;
  verdict: { outcome: string; summary: string; requests: number } | null;
  outcome: string | null;
  allowed: string[];
}

const DONE = new Set(['succeeded', 'rolled-back', 'aborted', 'failed']);

/** The exit code of a watched release that ended (a failed one needs a person to look). */
function exitFor(status: string): number {
  if (status === 'succeeded') return EXIT.ok;
  if (status === 'failed') return EXIT.releaseFailed;
  return EXIT.releaseRolledBack;
}

export function describeRelease(r: ReleaseView): string {
  const stage = r.stage
    ? `stage ${r.stage.index + 1}/${r.stage.of} ${r.stage.name}${r.stage.track ? ` (track ${r.stage.track}` : ' ('}${Object.entries(
        r.stage.shares,
      )
        .map(([g, s]) => `, ${s}% of ${g}`)
        .join('')}${r.stage.legacyShare !== null ? `, legacy ${r.stage.legacyShare}%` : ''})`.replace('(, ', '(')
    : 'not started';
  const verdict = r.verdict ? ` · ${r.verdict.outcome}: ${r.verdict.summary}` : '';
  return `${r.service} ${r.version} [${r.status}/${r.phase}] ${stage}${verdict}`;
}

/** Follows a release's events until it ends; prints each change on its own line. */
async function watch(api: ApiTarget, release: ReleaseView): Promise<number> {
  const out = process.stdout;
  let last = describeRelease(release);
  out.write(`${last}\n`);
  if (DONE.has(release.status)) return exitFor(release.status);
  let final = release;
  await streamEvents(api, `/v1/events?release=${encodeURIComponent(release.id)}`, (data) => {
    const state = (data as { state?: ReleaseView }).state;
    if (!state) return false;
    final = state;
    const line = describeRelease(state);
    if (line !== last) {
      out.write(`${paint(out, 'dim', new Date().toISOString().slice(11, 19))} ${line}\n`);
      last = line;
    }
    return DONE.has(state.status);
  });
  const colour = final.status === 'succeeded' ? 'green' : 'red';
  out.write(
    `${paint(out, colour, final.status === 'succeeded' ? '✔' : '✖')} ${final.service} ${final.version}: ${final.status}${final.outcome ? ` — ${final.outcome}` : ''}\n`,
  );
  return exitFor(final.status);
}

async function resolveRelease(api: ApiTarget, idOrService: string): Promise<ReleaseView> {
  if (/^[0-9a-f]{8}-/.test(idOrService)) return callApi<ReleaseView>(api, 'GET', `/v1/releases/${idOrService}`);
  const { releases } = await callApi<{ releases: ReleaseView[] }>(
    api,
    'GET',
    `/v1/releases?service=${encodeURIComponent(idOrService)}&status=running,paused,rolling-back&limit=1`,
  );
  const active = releases[0];
  if (!active)
    throw new SwitchyardError('SWY_RELEASE_NOT_FOUND', {
      message: `${idOrService} has no release in progress`,
      hint: 'Start one with `switchyard deploy <service> <version>`.',
    });
  return active;
}

export function registerRelease(program: Command): void {
  program
    .command('deploy')
    .description(
      'Release a version of a service through its stages; follows it until it ends ' +
        `(exit ${EXIT.ok} released, ${EXIT.releaseRolledBack} rolled back or aborted, ${EXIT.releaseFailed} failed)`,
    )
    .argument('<service>')
    .argument('<version>')
    .option(
      '--plan <plan>',
      "release plan (default, migration, or one of the service's); to go back to a released version, use rollback",
    )
    .option('--reason <text>', 'why: kept in the audit log and the config repository')
    .option('--override-freeze', 'deploy during a freeze window (admins, with --reason)')
    .option('--detach', 'start the release and return')
    .option(...API_OPTION)
    .option(...ENV_OPTION)
    .action(
      async (
        service: string,
        version: string,
        opts: {
          plan?: string;
          reason?: string;
          overrideFreeze?: boolean;
          detach?: boolean;
          api?: string;
          env?: string;
        },
      ) => {
        const api = apiTarget(opts);
        const release = await callApi<ReleaseView>(
          api,
          'POST',
          '/v1/releases',
          { service, version, ...(opts.plan ? { plan: opts.plan } : {}), ...changeFields(opts) },
          randomUUID(),
        );
        process.stdout.write(`release ${release.id}\n`);
        process.exitCode = opts.detach ? EXIT.ok : await watch(api, release);
      },
    );

  for (const [action, description] of [
    ['promote', 'Go to the next stage now'],
    ['approve', 'Approve a stage that waits for a person'],
    ['pause', 'Stop measuring and advancing'],
    ['resume', 'Carry on after a pause'],
    ['abort', 'Stop the release and return to what ran before'],
  ] as const) {
    const command = program
      .command(action)
      .description(`${description} (release id, or the service whose release is in progress)`)
      .argument('<release-or-service>')
      .option('--reason <text>', 'why, for the audit log')
      .option(...API_OPTION)
      .option(...ENV_OPTION);
    // Approving or promoting widens what users get: a freeze window holds them unless an admin overrides it.
    if (action === 'approve' || action === 'promote')
      command.option('--override-freeze', 'act during a freeze window (admins, with --reason)');
    command.action(
      async (target: string, opts: { reason?: string; overrideFreeze?: boolean; api?: string; env?: string }) => {
        const api = apiTarget(opts);
        const release = await resolveRelease(api, target);
        const after = await callApi<ReleaseView>(
          api,
          'POST',
          `/v1/releases/${release.id}/${action}`,
          changeFields(opts),
          randomUUID(),
        );
        process.stdout.write(`✔ ${action}: ${describeRelease(after)}\n`);
      },
    );
  }

  program
    .command('rollback')
    .description(
      'Roll a service back: its release in progress at once, or to a version released in this environment (--to); freezes do not stop it',
    )
    .argument('<service>')
    .option('--to <version>', 'a version released here to go back to (default: the one the last release replaced)')
    .option('--reason <text>', 'why, for the audit log')
    .option('--detach', 'return once the rollback has started')
    .option(...API_OPTION)
    .option(...ENV_OPTION)
    .action(
      async (service: string, opts: { to?: string; reason?: string; detach?: boolean; api?: string; env?: string }) => {
        const api = apiTarget(opts);
        const release = await callApi<ReleaseView>(
          api,
          'POST',
          `/v1/services/${encodeURIComponent(service)}/rollback`,
          { ...(opts.to ? { to: opts.to } : {}), ...(opts.reason ? { reason: opts.reason } : {}) },
          randomUUID(),
        );
        if (opts.detach) return void (process.exitCode = EXIT.ok);
        const code = await watch(api, release);
        // Rolling back a release in progress succeeds when that release ends rolled back.
        process.exitCode = release.plan !== 'rollback' && code === EXIT.releaseRolledBack ? EXIT.ok : code;
      },
    );

  program
    .command('history')
    .description('What changed for a service: one config-repository commit per desired-state change')
    .argument('<service>')
    .option('-n, --limit <n>', 'how many', '20')
    .option('--json', 'print JSON')
    .option(...API_OPTION)
    .option(...ENV_OPTION)
    .action(async (service: string, opts: { limit: string; json?: boolean; api?: string; env?: string }) => {
      const result = await callApi<{
        commits: {
          sha: string;
          date: string;
          author: { name: string };
          message: string;
          manifest: { versions: Record<string, string> } | null;
        }[];
      }>(
        apiTarget(opts),
        'GET',
        `/v1/services/${encodeURIComponent(service)}/history?limit=${encodeURIComponent(opts.limit)}`,
      );
      if (opts.json) return void process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      for (const c of result.commits) {
        const versions = c.manifest
          ? ` [${Object.entries(c.manifest.versions)
              .map(([t, v]) => `${t} ${v}`)
              .join(', ')}]`
          : '';
        process.stdout.write(
          `${c.sha.slice(0, 10)} ${String(c.date).slice(0, 19)} ${c.author.name.padEnd(14)} ${c.message.split('\n')[0]}${versions}\n`,
        );
      }
    });

  program
    .command('audit')
    .description('The append-only audit log: who did what, where, with which outcome')
    .option('-n, --limit <n>', 'how many', '50')
    .option('--actor <name>')
    .option('--action <action>', 'e.g. release.deploy')
    .option('--json', 'print JSON')
    .option(...API_OPTION)
    .option(...ENV_OPTION)
    .action(
      async (opts: { limit: string; actor?: string; action?: string; json?: boolean; api?: string; env?: string }) => {
        const query = new URLSearchParams({
          limit: opts.limit,
          ...(opts.actor ? { actor: opts.actor } : {}),
          ...(opts.action ? { action: opts.action } : {}),
        });
        const result = await callApi<{
          entries: {
            seq: number;
            at: string;
            actor: string;
            action: string;
            target: string;
            environment: string | null;
            outcome: string;
            reason: string | null;
          }[];
        }>(apiTarget(opts), 'GET', `/v1/audit?${query.toString()}`);
        if (opts.json) return void process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        for (const e of result.entries) {
          process.stdout.write(
            `${String(e.seq).padStart(6)} ${String(e.at).slice(0, 19)} ${e.actor.padEnd(14)} ${e.action.padEnd(18)} ${e.outcome.padEnd(9)} ${e.environment ?? '-'} ${e.target}${e.reason ? ` — ${e.reason}` : ''}\n`,
          );
        }
      },
    );
}
