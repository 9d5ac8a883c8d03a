import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { EXIT, SwitchyardError } from '../../errors/index.js';
import { formatDuration } from '@switchyard/worker/units';
import { API_OPTION, apiTarget, callApi, DEFAULT_API, ENV_OPTION, streamEvents, type ApiTarget } from '../client.js';
import { durationFlag } from '../duration.js';
import { printData, withOutput, type OutputFlags } from '../output.js';
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
  /** A stage approved before it waited: it advances once it passes. */
  approval?: { stage: string; by: string; at: string } | null;
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
  const approval = r.approval ? ` · stage ${r.approval.stage} approved ahead by ${r.approval.by}` : '';
  return `${r.service} ${r.version} [${r.status}/${r.phase}] ${stage}${verdict}${approval}`;
}

/** The command that approves this release, exactly as the person following it would type it. */
export function approveCommand(api: ApiTarget, release: Pick<ReleaseView, 'id'>): string {
  return [
    'switchyard approve',
    release.id,
    ...(api.environment ? [`--env ${api.environment}`] : []),
    ...(api.address !== DEFAULT_API ? [`--api ${api.address}`] : []),
  ].join(' ');
}

export interface FollowOptions {
  /** Where progress lines go: stdout for a person, stderr when stdout carries -o json|yaml. */
  readonly out: NodeJS.WriteStream;
  /** Stop following after this long, with SWY_RELEASE_WAIT_TIMEOUT (the release goes on). */
  readonly timeoutMs?: number;
}

function timedOut(release: ReleaseView, timeoutMs: number): SwitchyardError {
  return new SwitchyardError('SWY_RELEASE_WAIT_TIMEOUT', {
    message: `${release.service} ${release.version} has not ended within ${formatDuration(timeoutMs)}: ${describeRelease(release)}; the release goes on`,
    hint: `Follow it with \`switchyard status ${release.service} --watch\`${release.phase === 'awaiting-approval' ? `, approve it with \`switchyard approve ${release.id}\`` : ''}, or stop it with \`switchyard abort ${release.id}\`.`,
    details: { release: release.id, status: release.status, phase: release.phase, timeoutMs },
  });
}

/**
 * Follows a release's events until it ends (or the timeout passes); prints each change on its
 * own line, and the command that approves it when it starts waiting for a person.
 */
export async function follow(
  api: ApiTarget,
  release: ReleaseView,
  options: FollowOptions,
): Promise<{ code: number; release: ReleaseView }> {
  const { out } = options;
  let last = describeRelease(release);
  let hinted = false;
  const hintApproval = (state: ReleaseView) => {
    if (state.phase !== 'awaiting-approval' || hinted) return;
    hinted = true;
    out.write(`${paint(out, 'yellow', '⏸')} waiting for approval: ${approveCommand(api, state)}\n`);
  };
  out.write(`${last}\n`);
  hintApproval(release);
  if (DONE.has(release.status)) return { code: exitFor(release.status), release };
  let final = release;
  const deadline = options.timeoutMs !== undefined ? AbortSignal.timeout(options.timeoutMs) : undefined;
  await streamEvents(
    api,
    `/v1/events?release=${encodeURIComponent(release.id)}`,
    (data) => {
      const state = (data as { state?: ReleaseView }).state;
      if (!state) return false;
      final = state;
      const line = describeRelease(state);
      if (line !== last) {
        out.write(`${paint(out, 'dim', new Date().toISOString().slice(11, 19))} ${line}\n`);
        last = line;
      }
      hintApproval(state);
      return DONE.has(state.status);
    },
    deadline,
  );
  if (!DONE.has(final.status) && options.timeoutMs !== undefined) throw timedOut(final, options.timeoutMs);
  const colour = final.status === 'succeeded' ? 'green' : 'red';
  out.write(
    `${paint(out, colour, final.status === 'succeeded' ? '✔' : '✖')} ${final.service} ${final.version}: ${final.status}${final.outcome ? ` — ${final.outcome}` : ''}\n`,
  );
  return { code: exitFor(final.status), release: final };
}

/** Follows a release for `deploy`, `rollback` and `status --watch`: progress for a person, or the final release as -o json|yaml. */
export async function followFor(
  api: ApiTarget,
  release: ReleaseView,
  opts: OutputFlags & { timeout?: number },
): Promise<number> {
  const data = opts.output === 'json' || opts.output === 'yaml';
  const result = await follow(api, release, {
    out: data ? process.stderr : process.stdout,
    ...(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {}),
  });
  printData(opts, result.release);
  return result.code;
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

/** The flags of a change `deploy` and `rollback` start and then follow. */
type FollowedChangeFlags = {
  reason?: string;
  detach?: boolean;
  timeout?: number;
  api?: string;
  env?: string;
} & OutputFlags;

export function registerRelease(program: Command): void {
  withOutput(
    program
      .command('deploy')
      .description(
        'Release a version of a service through its stages; follows it until it ends ' +
          `(exit ${EXIT.ok} released, ${EXIT.releaseRolledBack} rolled back or aborted, ${EXIT.releaseFailed} failed, ` +
          `${EXIT.releaseTimedOut} not ended within --timeout)`,
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
      .option(
        '--timeout <duration>',
        `stop following after this long (e.g. 30m, 1h30m): exit ${EXIT.releaseTimedOut}, the release goes on`,
        durationFlag('--timeout'),
      )
      .option(...API_OPTION)
      .option(...ENV_OPTION),
  ).action(
    async (
      service: string,
      version: string,
      opts: FollowedChangeFlags & { plan?: string; overrideFreeze?: boolean },
    ) => {
      const api = apiTarget(opts);
      const release = await callApi<ReleaseView>(
        api,
        'POST',
        '/v1/releases',
        { service, version, ...(opts.plan ? { plan: opts.plan } : {}), ...changeFields(opts) },
        randomUUID(),
      );
      if (opts.detach) {
        if (!printData(opts, release)) process.stdout.write(`release ${release.id}\n`);
        return void (process.exitCode = EXIT.ok);
      }
      (opts.output ? process.stderr : process.stdout).write(`release ${release.id}\n`);
      process.exitCode = await followFor(api, release, opts);
    },
  );

  for (const [action, description] of [
    ['promote', 'Go to the next stage now'],
    [
      'approve',
      'Approve a stage that waits for a person; given before the stage waits, the approval is recorded and applied when the stage passes',
    ],
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
    withOutput(command).action(
      async (
        target: string,
        opts: { reason?: string; overrideFreeze?: boolean; api?: string; env?: string } & OutputFlags,
      ) => {
        const api = apiTarget(opts);
        const release = await resolveRelease(api, target);
        const after = await callApi<ReleaseView>(
          api,
          'POST',
          `/v1/releases/${release.id}/${action}`,
          changeFields(opts),
          randomUUID(),
        );
        if (printData(opts, after)) return;
        const ahead = action === 'approve' && after.phase !== 'awaiting-approval' && after.approval;
        process.stdout.write(
          ahead
            ? `✔ approve: stage ${after.approval?.stage} approved ahead; it advances once it passes · ${describeRelease(after)}\n`
            : `✔ ${action}: ${describeRelease(after)}\n`,
        );
      },
    );
  }

  withOutput(
    program
      .command('rollback')
      .description(
        'Roll a service back: its release in progress at once, or to a version released in this environment (--to); freezes do not stop it',
      )
      .argument('<service>')
      .option('--to <version>', 'a version released here to go back to (default: the one the last release replaced)')
      .option('--reason <text>', 'why, for the audit log')
      .option('--detach', 'return once the rollback has started')
      .option(
        '--timeout <duration>',
        `stop following after this long: exit ${EXIT.releaseTimedOut}`,
        durationFlag('--timeout'),
      )
      .option(...API_OPTION)
      .option(...ENV_OPTION),
  ).action(async (service: string, opts: FollowedChangeFlags & { to?: string }) => {
    const api = apiTarget(opts);
    const release = await callApi<ReleaseView>(
      api,
      'POST',
      `/v1/services/${encodeURIComponent(service)}/rollback`,
      { ...(opts.to ? { to: opts.to } : {}), ...(opts.reason ? { reason: opts.reason } : {}) },
      randomUUID(),
    );
    if (opts.detach) {
      printData(opts, release);
      return void (process.exitCode = EXIT.ok);
    }
    const code = await followFor(api, release, opts);
    // Rolling back a release in progress succeeds when that release ends rolled back.
    process.exitCode = release.plan !== 'rollback' && code === EXIT.releaseRolledBack ? EXIT.ok : code;
  });

  withOutput(
    program
      .command('history')
      .description('What changed for a service: one config-repository commit per desired-state change')
      .argument('<service>')
      .option('-n, --limit <n>', 'how many', '20')
      .option(...API_OPTION)
      .option(...ENV_OPTION),
    ['json', 'yaml', 'wide'],
  ).action(async (service: string, opts: { limit: string; api?: string; env?: string } & OutputFlags) => {
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
    if (printData(opts, result)) return;
    const wide = opts.output === 'wide';
    for (const c of result.commits) {
      const versions = c.manifest
        ? ` [${Object.entries(c.manifest.versions)
            .map(([t, v]) => `${t} ${v}`)
            .join(', ')}]`
        : '';
      // Wide: the whole commit id and the whole message, as `git log` would show them.
      const message = wide ? c.message.trim().replace(/\n+/g, ' · ') : c.message.split('\n')[0];
      process.stdout.write(
        `${wide ? c.sha : c.sha.slice(0, 10)} ${String(c.date).slice(0, 19)} ${c.author.name.padEnd(14)} ${message}${versions}\n`,
      );
    }
  });

  withOutput(
    program
      .command('audit')
      .description('The append-only audit log: who did what, where, with which outcome')
      .option('-n, --limit <n>', 'how many', '50')
      .option('--actor <name>')
      .option('--action <action>', 'e.g. release.deploy')
      .option(...API_OPTION)
      .option(...ENV_OPTION),
  ).action(
    async (opts: { limit: string; actor?: string; action?: string; api?: string; env?: string } & OutputFlags) => {
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
      if (printData(opts, result)) return;
      for (const e of result.entries) {
        process.stdout.write(
          `${String(e.seq).padStart(6)} ${String(e.at).slice(0, 19)} ${e.actor.padEnd(14)} ${e.action.padEnd(18)} ${e.outcome.padEnd(9)} ${e.environment ?? '-'} ${e.target}${e.reason ? ` — ${e.reason}` : ''}\n`,
        );
      }
    },
  );
}
