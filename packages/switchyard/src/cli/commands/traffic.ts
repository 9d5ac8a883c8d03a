import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { ConfigStatus } from '../../api/index.js';
import { SwitchyardError, type Issue } from '../../errors/index.js';
import type { RoutingState } from '../../router/index.js';
import type { ServiceStatus, TrackStatus, WorkerClassStatus } from '../../runtime/index.js';
import { changeFields, withChangeOptions, type ChangeOptions } from '../change-options.js';
import { API_OPTION, apiTarget, ENV_OPTION, callApi } from '../client.js';
import type { LeaderView } from '../../api/index.js';
import { describeRelease, type ReleaseView } from './release.js';

function percent(text: string): number {
  const value = Number(text.replace(/%$/, ''));
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw new SwitchyardError('SWY_ROUTER_SHARE_INVALID', { message: `The share "${text}" is not a number` });
  }
  return value;
}

function positiveInt(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0)
    throw new SwitchyardError('SWY_CLI_USAGE', { message: `--replicas "${text}" is not a whole number` });
  return value;
}

export function registerTraffic(program: Command): void {
  const traffic = program
    .command('traffic')
    .description("Change how a running service's router splits traffic (live, no reload)");
  withChangeOptions(
    traffic
      .command('share')
      .description("Send <percent> of a traffic group's users to its canary track")
      .argument('<service>')
      .argument('<group>')
      .argument('<percent>', 'percentage, 0–100, 0.01 steps', percent)
      .option(...API_OPTION)
      .option(...ENV_OPTION),
  ).action(
    async (service: string, group: string, share: number, opts: ChangeOptions & { api?: string; env?: string }) => {
      const result = await callApi<{ routing: RoutingState }>(
        apiTarget(opts),
        'PUT',
        `/v1/services/${encodeURIComponent(service)}/groups/${encodeURIComponent(group)}/share`,
        { share, ...changeFields(opts) },
        randomUUID(),
      );
      process.stdout.write(
        `✔ ${service}: ${share}% of ${group} users on its canary track (shares: ${Object.entries(result.routing.shares)
          .map(([g, s]) => `${g} ${s}%`)
          .join(', ')})\n`,
      );
    },
  );
  withChangeOptions(
    traffic
      .command('legacy')
      .description("Send <percent> of all of a service's traffic to its legacy backend")
      .argument('<service>')
      .argument('<percent>', 'percentage, 0–100, 0.01 steps', percent)
      .option(...API_OPTION)
      .option(...ENV_OPTION),
  ).action(async (service: string, share: number, opts: ChangeOptions & { api?: string; env?: string }) => {
    await callApi(
      apiTarget(opts),
      'PUT',
      `/v1/services/${encodeURIComponent(service)}/legacy/share`,
      { share, ...changeFields(opts) },
      randomUUID(),
    );
    process.stdout.write(`✔ ${service}: ${share}% of traffic on the legacy backend, ${100 - share}% on its tracks\n`);
  });

  withChangeOptions(
    program
      .command('track')
      .description('Roll a running track to a version and/or replica count, one replica at a time')
      .argument('<service>')
      .argument('<track>')
      .option('--version <version>', 'version (image tag) to run')
      .option('--replicas <n>', 'replicas to run', positiveInt)
      .option(...API_OPTION)
      .option(...ENV_OPTION),
  ).action(
    async (
      service: string,
      track: string,
      opts: ChangeOptions & { version?: string; replicas?: number; api?: string; env?: string },
    ) => {
      if (opts.version === undefined && opts.replicas === undefined)
        throw new SwitchyardError('SWY_CLI_USAGE', { message: 'track needs --version, --replicas or both' });
      const body = {
        ...(opts.version ? { version: opts.version } : {}),
        ...(opts.replicas !== undefined ? { replicas: opts.replicas } : {}),
        ...changeFields(opts),
      };
      const status = await callApi<TrackStatus>(
        apiTarget(opts),
        'PUT',
        `/v1/services/${encodeURIComponent(service)}/tracks/${encodeURIComponent(track)}`,
        body,
        randomUUID(),
      );
      process.stdout.write(
        `✔ ${service}/${track}: ${status.ready}/${status.desired} replicas ready on ${status.version}\n`,
      );
    },
  );

  program
    .command('status')
    .description(
      'Show the running fleet (routers, tracks, versions, ready replicas, shares) and the releases in progress',
    )
    .option(...API_OPTION)
    .option(...ENV_OPTION)
    .option('--json', 'print JSON')
    .action(async (opts: { api?: string; env?: string; json?: boolean }) => {
      const api = apiTarget(opts);
      const status = await callApi<{ environment: string; services: ServiceStatus[]; workers?: WorkerClassStatus[] }>(
        api,
        'GET',
        '/v1/status',
      );
      const { releases } = await callApi<{ releases: ReleaseView[] }>(
        api,
        'GET',
        '/v1/releases?status=running,paused,rolling-back',
      );
      // Servers from before GET /v1/leader or GET /v1/config answer 404: they have nothing to say about those.
      const leader = await callApi<LeaderView>(api, 'GET', '/v1/leader').catch(() => undefined);
      const config = await callApi<ConfigStatus>(api, 'GET', '/v1/config').catch(() => undefined);
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify({ ...status, releases, ...(config ? { config } : {}), ...(leader ? { leader } : {}) }, null, 2)}\n`,
        );
        return;
      }
      process.stdout.write(formatStatus(status.environment, status.services, status.workers ?? []));
      process.stdout.write(
        releases.length === 0
          ? 'no release in progress\n'
          : `releases in progress:\n${releases.map((r) => `  ${r.id.slice(0, 8)} ${describeRelease(r)}\n`).join('')}`,
      );
      const line = config && configLine(config);
      if (line) process.stdout.write(`${line}\n`);
      if (leader?.replicas) process.stdout.write(`${describeLeadership(leader)}\n`);
    });
}

/** Who leads the replicas, as `status` and `server` say it. */
export function describeLeadership(view: LeaderView): string {
  if (view.role === 'leader')
    return `leader: this replica (${view.self})${view.leader ? `, term ${view.leader.term}, since ${view.leader.since}` : ''}`;
  return view.leader
    ? `standby (${view.self}): ${view.leader.address} leads (term ${view.leader.term}, since ${view.leader.since}); writes are handed to it`
    : `standby (${view.self}): no replica leads now — writes are refused (SWY_API_NO_LEADER) until one takes over`;
}

/** One line about the configuration commit when it needs a look: refused, waiting, or not fetched. */
export function configLine(config: ConfigStatus): string | undefined {
  const sha = (commit: string | undefined) => (commit ?? '').slice(0, 12);
  if (config.refused) {
    const n = config.refused.issues.length;
    return `✖ config: commit ${sha(config.refused.commit)} (${config.refused.subject}) refused: ${config.refused.code} — ${n > 0 ? `${n} problem${n === 1 ? '' : 's'}, first: ${describeIssue(config.refused.issues[0] as Issue)}` : config.refused.message}; serving ${sha(config.servedCommit)} (details: GET /v1/config)`;
  }
  if (config.waiting)
    return `… config: commit ${sha(config.waiting.commit)} waits for ${config.waiting.releases.map((r) => `release ${r.release.slice(0, 8)} of ${r.service}`).join(', ')}; serving ${sha(config.servedCommit)}`;
  if (config.fetchError) return `⚠ config: ${config.fetchError.message}; serving ${sha(config.servedCommit)}`;
  return undefined;
}

function describeIssue(issue: Issue): string {
  return `${issue.file ?? ''}${issue.line ? `:${issue.line}` : ''}${issue.path ? ` ${issue.path}` : ''}: ${issue.message}`;
}

export function formatStatus(
  environment: string,
  services: readonly ServiceStatus[],
  workers: readonly WorkerClassStatus[] = [],
): string {
  const lines = [`${environment}:`];
  for (const s of services) {
    const tracks = s.tracks
      .map(
        (t) =>
          `${t.track} ${t.ready}/${t.desired} ${t.version}${t.fallbackTo ? ` (no ready server: served by ${t.fallbackTo})` : ''}`,
      )
      .join(' · ');
    const shares = Object.entries(s.routing.shares)
      .map(([g, v]) => `${g} ${v}%`)
      .join(', ');
    lines.push(
      `  ${s.service.padEnd(22)} ${s.address.padEnd(24)} ${tracks}${shares ? `  [canary: ${shares}]` : ''}${s.routing.legacyShare > 0 ? `  [legacy ${s.routing.legacyShare}%]` : ''}`,
    );
  }
  const byWorker = new Map<string, WorkerClassStatus[]>();
  for (const w of workers) byWorker.set(w.worker, [...(byWorker.get(w.worker) ?? []), w]);
  for (const [worker, classes] of byWorker) {
    lines.push(
      `  ${worker.padEnd(22)} ${`queue ${classes[0]?.queue ?? ''}`.padEnd(24)} ${classes.map((c) => `${c.workerClass} ${c.ready}/${c.desired}`).join(' · ')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
