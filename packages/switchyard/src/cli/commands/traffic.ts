import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { ConfigStatus } from '../../api/index.js';
import { EXIT, SwitchyardError, type Issue } from '../../errors/index.js';
import { headline, type HealthReport } from '../../health/index.js';
import type { RoutingState } from '../../router/index.js';
import type { ServiceStatus, TrackStatus, WorkerClassStatus } from '../../runtime/index.js';
import { changeFields, withChangeOptions, type ChangeOptions } from '../change-options.js';
import { API_OPTION, apiTarget, ENV_OPTION, callApi, type ApiTarget } from '../client.js';
import { durationFlag } from '../duration.js';
import { printData, serialise, withOutput, type OutputFlags } from '../output.js';
import { watchPicture } from '../watch.js';
import type { LeaderView } from '../../api/index.js';
import { describeRelease, followFor, type ReleaseView } from './release.js';

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
  withOutput(
    withChangeOptions(
      traffic
        .command('share')
        .description("Send <percent> of a traffic group's users to its canary track")
        .argument('<service>')
        .argument('<group>')
        .argument('<percent>', 'percentage, 0–100, 0.01 steps', percent)
        .option(...API_OPTION)
        .option(...ENV_OPTION),
    ),
  ).action(
    async (
      service: string,
      group: string,
      share: number,
      opts: ChangeOptions & OutputFlags & { api?: string; env?: string },
    ) => {
      const result = await callApi<{ routing: RoutingState }>(
        apiTarget(opts),
        'PUT',
        `/v1/services/${encodeURIComponent(service)}/groups/${encodeURIComponent(group)}/share`,
        { share, ...changeFields(opts) },
        randomUUID(),
      );
      if (printData(opts, result)) return;
      process.stdout.write(
        `✔ ${service}: ${share}% of ${group} users on its canary track (shares: ${Object.entries(result.routing.shares)
          .map(([g, s]) => `${g} ${s}%`)
          .join(', ')})\n`,
      );
    },
  );
  withOutput(
    withChangeOptions(
      traffic
        .command('legacy')
        .description("Send <percent> of all of a service's traffic to its legacy backend")
        .argument('<service>')
        .argument('<percent>', 'percentage, 0–100, 0.01 steps', percent)
        .option(...API_OPTION)
        .option(...ENV_OPTION),
    ),
  ).action(
    async (service: string, share: number, opts: ChangeOptions & OutputFlags & { api?: string; env?: string }) => {
      const result = await callApi(
        apiTarget(opts),
        'PUT',
        `/v1/services/${encodeURIComponent(service)}/legacy/share`,
        { share, ...changeFields(opts) },
        randomUUID(),
      );
      if (printData(opts, result)) return;
      process.stdout.write(`✔ ${service}: ${share}% of traffic on the legacy backend, ${100 - share}% on its tracks\n`);
    },
  );

  withOutput(
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
    ),
  ).action(
    async (
      service: string,
      track: string,
      opts: ChangeOptions & OutputFlags & { version?: string; replicas?: number; api?: string; env?: string },
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
      if (printData(opts, status)) return;
      process.stdout.write(
        `✔ ${service}/${track}: ${status.ready}/${status.desired} replicas ready on ${status.version}\n`,
      );
    },
  );

  withOutput(
    program
      .command('status')
      .description(
        'Show the running fleet (routers, tracks, versions, ready replicas, shares) and the releases in progress; ' +
          'with --watch, follow it as it changes',
      )
      .argument('[service]', 'only this service (with --watch: follow its release in progress until it ends)')
      .option('-w, --watch', 'print again whenever something changes, until Ctrl-C (or the release of <service> ends)')
      .option(
        '--timeout <duration>',
        `with --watch and a service: stop following after this long (exit ${EXIT.releaseTimedOut})`,
        durationFlag('--timeout'),
      )
      .option(...API_OPTION)
      .option(...ENV_OPTION),
    ['json', 'yaml', 'wide'],
  ).action(async (service: string | undefined, opts: StatusFlags) => {
    const api = apiTarget(opts);
    if (opts.watch && service) return void (process.exitCode = await watchRelease(api, service, opts));
    const picture = async () => {
      const snapshot = await statusOf(api, service);
      return opts.output === 'json' || opts.output === 'yaml'
        ? serialise(opts.output, snapshot)
        : describeStatus(snapshot, opts.output === 'wide');
    };
    if (!opts.watch) return void process.stdout.write(await picture());
    await watchPicture(picture, opts.output, WATCH_INTERVAL_MS);
  });
}

interface StatusFlags extends OutputFlags {
  readonly watch?: boolean;
  readonly timeout?: number;
  readonly api?: string;
  readonly env?: string;
}

/** How often `status --watch` and `health --watch` ask for the fleet when no release is followed. */
export const WATCH_INTERVAL_MS = 2000;

interface StatusSnapshot {
  environment: string;
  services: ServiceStatus[];
  workers?: WorkerClassStatus[];
  releases: ReleaseView[];
  config?: ConfigStatus;
  leader?: LeaderView;
  health?: HealthReport;
}

async function statusOf(api: ApiTarget, service: string | undefined): Promise<StatusSnapshot> {
  const status = await callApi<{ environment: string; services: ServiceStatus[]; workers?: WorkerClassStatus[] }>(
    api,
    'GET',
    '/v1/status',
  );
  const { releases } = await callApi<{ releases: ReleaseView[] }>(
    api,
    'GET',
    `/v1/releases?status=running,paused,rolling-back${service ? `&service=${encodeURIComponent(service)}` : ''}`,
  );
  // Servers from before GET /v1/leader or GET /v1/config answer 404: they have nothing to say about those.
  const leader = await callApi<LeaderView>(api, 'GET', '/v1/leader').catch(() => undefined);
  const config = await callApi<ConfigStatus>(api, 'GET', '/v1/config').catch(() => undefined);
  const health = await callApi<HealthReport>(
    api,
    'GET',
    service ? `/v1/health/${encodeURIComponent(service)}` : '/v1/health',
  ).catch(() => undefined);
  const extras = { ...(config ? { config } : {}), ...(leader ? { leader } : {}), ...(health ? { health } : {}) };
  if (service) {
    const services = status.services.filter((s) => s.service === service);
    const workers = (status.workers ?? []).filter((w) => w.worker === service);
    if (services.length === 0 && workers.length === 0)
      throw new SwitchyardError('SWY_SPEC_SERVICE_NOT_FOUND', {
        message: `${env(status.environment)} has no service or worker ${service}`,
        hint: `Use one of: ${[...status.services.map((s) => s.service), ...new Set((status.workers ?? []).map((w) => w.worker))].join(', ')}.`,
        details: { service },
      });
    return { ...status, services, workers, releases, ...extras };
  }
  return { ...status, releases, ...extras };
}

const env = (name: string) => `The environment ${name}`;

function describeStatus(s: StatusSnapshot, wide: boolean): string {
  const releases =
    s.releases.length === 0
      ? 'no release in progress\n'
      : `releases in progress:\n${s.releases.map((r) => `  ${wide ? r.id : r.id.slice(0, 8)} ${describeRelease(r)}\n`).join('')}`;
  const line = s.config && configLine(s.config);
  return [
    formatStatus(s.environment, s.services, s.workers ?? [], wide),
    releases,
    line ? `${line}\n` : '',
    s.health ? `${healthLine(s.health)}\n` : '',
    s.leader?.replicas ? `${describeLeadership(s.leader)}\n` : '',
  ].join('');
}

/** Health in one line, as `status` shows it: the headline and the worst finding. */
export function healthLine(report: HealthReport): string {
  const [first, ...rest] = report.findings;
  if (!first) return `health: ${headline(report)}`;
  const more = rest.length > 0 ? ` (+${rest.length} more)` : '';
  return `health: ${headline(report)} — ${first.unit}/${first.part}: ${first.message}${more}; details: switchyard health`;
}

/** `status <service> --watch`: the release in progress followed to its end, as `deploy` follows it. */
async function watchRelease(api: ApiTarget, service: string, opts: StatusFlags): Promise<number> {
  const snapshot = await statusOf(api, service);
  const release = snapshot.releases[0];
  if (!release) {
    process.stdout.write(describeStatus(snapshot, opts.output === 'wide'));
    return EXIT.ok;
  }
  return followFor(api, release, opts);
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
  wide = false,
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
    // Wide, as `kubectl get -o wide`: the router's statistics page and every replica.
    if (wide) {
      // A server from before the router's replica counts answers without them.
      const router = (s as Partial<ServiceStatus>).router;
      lines.push(
        `    stats ${s.stats}${s.routerPid ? ` (router pid ${s.routerPid})` : ''}${router ? `  router ${router.ready}/${router.desired} ready` : ''}`,
      );
      for (const t of s.tracks) for (const r of t.replicas) lines.push(`    ${t.track.padEnd(12)} ${replicaLine(r)}`);
    }
  }
  const byWorker = new Map<string, WorkerClassStatus[]>();
  for (const w of workers) byWorker.set(w.worker, [...(byWorker.get(w.worker) ?? []), w]);
  for (const [worker, classes] of byWorker) {
    lines.push(
      `  ${worker.padEnd(22)} ${`queue ${classes[0]?.queue ?? ''}`.padEnd(24)} ${classes.map((c) => `${c.workerClass} ${c.ready}/${c.desired}${notReady(c)}`).join(' · ')}`,
    );
    if (wide)
      for (const c of classes)
        for (const r of c.replicas) lines.push(`    ${c.workerClass.padEnd(12)} ${replicaLine(r)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Why a worker class has fewer ready replicas than it wants: `(1 waiting for the broker)`. */
function notReady(c: WorkerClassStatus): string {
  const counts = new Map<string, number>();
  for (const r of c.replicas)
    if (r.state !== 'ready') {
      const why = r.reason ?? r.state;
      counts.set(why, (counts.get(why) ?? 0) + 1);
    }
  return counts.size === 0 ? '' : ` (${[...counts].map(([why, n]) => `${n} ${why}`).join('; ')})`;
}

function replicaLine(r: {
  name: string;
  version?: string;
  port: number;
  pid?: number;
  state: string;
  reason?: string;
}): string {
  return `${r.name.padEnd(28)} ${r.state.padEnd(10)}${r.version ? ` ${r.version}` : ''} port ${r.port}${r.pid ? ` pid ${r.pid}` : ''}${r.reason ? `  ${r.reason}` : ''}`;
}
