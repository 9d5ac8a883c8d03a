import type { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDuration } from '@switchyard/worker/units';
import { GitSource, isGitUrl, readConfig } from '../../config-dir/index.js';
import { SwitchyardError } from '../../errors/index.js';
import { firstCommit, startServer, tightenedLine, type FollowOptions } from '../../server/index.js';
import { resolveAll, resolveFleet, type Fleet } from '../../spec/index.js';
import { VERSION } from '../../version.js';
import { credentialsFile, saveCredentials } from '../client.js';
import { describeEvent, timestampedLine, untilStopped, workerSettings } from '../foreground.js';
import { describeLeadership, formatStatus } from './traffic.js';
import { defaultDataDir } from './up.js';

/** `host:port` as `--listen` takes it. */
export function parseListen(text: string): { host: string; port: number } {
  const match = /^(.+):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65_535) {
    throw new SwitchyardError('SWY_CLI_USAGE', {
      message: `--listen ${text} is not host:port`,
      hint: 'Give the address the API listens on, e.g. --listen 0.0.0.0:7070 (in a cluster) or 127.0.0.1:7070.',
    });
  }
  return { host: (match[1] as string).replace(/^\[(.*)\]$/, '$1'), port };
}

/** `--advertise`: the URL the other replicas reach this one's API at. */
export function parseAdvertise(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text.trim());
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) {
    throw new SwitchyardError('SWY_CLI_USAGE', {
      message: `--advertise ${text} is not an http:// or https:// address`,
      hint: 'Give the address the other replicas reach this API at, e.g. --advertise http://10.0.3.17:7070 (the pod IP in a cluster).',
    });
  }
  return url.origin;
}

/** `--leader-retry`: a duration such as 1s or 500ms, at least 100 ms. */
export function parseLeaderRetry(text: string): number {
  const ms = parseDuration(text.trim());
  if (ms === undefined || ms < 100 || ms > 3_600_000) {
    throw new SwitchyardError('SWY_CLI_USAGE', {
      message: `--leader-retry ${text} is not a duration between 100ms and 1h`,
      hint: 'e.g. --leader-retry 1s (the default) or 500ms.',
    });
  }
  return ms;
}

/** The environments to serve: the ones named, or every environment of the configuration. */
async function pickFleets(dir: string, names: readonly string[]): Promise<Fleet[]> {
  const files = await readConfig(dir);
  return names.length > 0 ? names.map((name) => resolveFleet(files, name)) : resolveAll(files);
}

/** `--poll 30s` in milliseconds; `0` turns polling off. */
export function parsePoll(text: string): number {
  if (text.trim() === '0') return 0;
  const ms = parseDuration(text.trim());
  if (typeof ms !== 'number' || ms < 1000) {
    throw new SwitchyardError('SWY_CLI_USAGE', {
      message: `--poll ${text} is not a duration of at least 1 s`,
      hint: 'Give e.g. --poll 30s or --poll 5m, or --poll 0 to rely on the webhook alone.',
    });
  }
  return ms;
}

interface SourceOptions {
  readonly branch?: string;
  readonly path?: string;
  readonly poll: string;
}

/** The environments to serve and, for a git URL, the repository to follow (cloned into the data directory). */
async function openConfig(
  arg: string,
  names: readonly string[],
  dataDir: string,
  opts: SourceOptions,
  line: (text: string) => void,
): Promise<{ fleets: Fleet[]; follow?: FollowOptions }> {
  if (!isGitUrl(arg)) {
    if (opts.branch !== undefined || opts.path !== undefined) {
      throw new SwitchyardError('SWY_CLI_USAGE', {
        message: `${arg} is a configuration directory, not a git repository: --branch and --path do not apply`,
        hint: 'Give a git URL (https://…, git@host:repo, file://…, a bare repository) to follow a branch.',
      });
    }
    return { fleets: await pickFleets(arg, names) };
  }
  const source = new GitSource({
    url: arg,
    dir: join(dataDir, 'config-source'),
    ...(opts.branch ? { branch: opts.branch } : {}),
    ...(opts.path ? { path: opts.path } : {}),
  });
  const pollMs = parsePoll(opts.poll);
  const { sha, fleets } = await firstCommit(source, (dir) => pickFleets(dir, names), line);
  const secret = process.env.SWITCHYARD_WEBHOOK_SECRET;
  line(
    `following ${source.label} at ${sha.slice(0, 12)} (${pollMs > 0 ? `poll every ${pollMs / 1000} s` : 'no polling'}, webhook ${secret ? 'on' : 'off: no SWITCHYARD_WEBHOOK_SECRET'})`,
  );
  return { fleets, follow: { source, served: sha, pollMs, ...(secret ? { webhookSecret: secret } : {}) } };
}

function where(fleet: Fleet): string {
  const env = fleet.environment;
  return env.runtime === 'kubernetes' && env.cluster
    ? `Kubernetes context ${env.cluster.context}, namespace ${env.cluster.namespace}`
    : 'this machine';
}

export function registerServer(program: Command): void {
  program
    .command('server')
    .description(
      'Serve the API for one or several environments of a configuration, each on its runtime (local or Kubernetes), until Ctrl-C',
    )
    .argument(
      '<config>',
      'a directory holding services/ and environments/ (read once), or a git URL to follow (https://…, git@host:repo, file://…, a bare repository)',
    )
    .option('--branch <branch>', "the branch to follow (default: the repository's default branch)")
    .option('--path <dir>', 'the configuration directory inside the repository (default: its root)')
    .option('--poll <duration>', 'how often to fetch the branch; 0: only when the webhook says it moved', '30s')
    .option('-e, --env <env...>', 'environments to serve (default: every one)')
    .option('--listen <host:port>', 'where the API listens', '127.0.0.1:7070')
    .option('--data-dir <dir>', 'where logs and state live (default: ~/.local/state/switchyard/server-<hash>)')
    .option(
      '--store <url>',
      'postgres://… (default $SWITCHYARD_STORE_URL, so no password shows in the process list; else an embedded database in the data directory)',
    )
    .option('--config-repo <dir>', 'the config repository desired-state changes are committed to')
    .option('--config-remote <url>', 'a git remote the config repository pushes each commit to')
    .option(
      '--advertise <url>',
      "where the other replicas sharing the store reach this API (default: the --listen address; for 0.0.0.0, this host's own address, the pod IP in a cluster)",
    )
    .option(
      '--leader-retry <duration>',
      'how often a standby tries to take the lead, and a leader checks it holds it',
      '1s',
    )
    .action(
      async (
        dir: string,
        opts: {
          env?: string[];
          listen: string;
          dataDir?: string;
          store?: string;
          configRepo?: string;
          configRemote?: string;
          advertise?: string;
          leaderRetry: string;
        } & SourceOptions,
      ) => {
        const listen = parseListen(opts.listen);
        const advertise = opts.advertise ? parseAdvertise(opts.advertise) : undefined;
        const leaderRetryMs = parseLeaderRetry(opts.leaderRetry);
        const store = opts.store ?? process.env.SWITCHYARD_STORE_URL;
        const dataDir = opts.dataDir ?? defaultDataDir(dir, 'server');
        await mkdir(dataDir, { recursive: true, mode: 0o700 });
        const out = process.stdout;
        const line = timestampedLine(out);
        const { fleets, follow } = await openConfig(dir, opts.env ?? [], dataDir, opts, line);
        out.write(
          `Switchyard ${VERSION} server — ${fleets.map((f) => f.environment.name).join(', ')} (data in ${dataDir})\n`,
        );
        const server = await startServer({
          fleets,
          dataDir,
          listen,
          ...(store ? { storeUrl: store } : {}),
          ...(opts.configRepo ? { configRepoDir: opts.configRepo } : {}),
          ...(opts.configRemote ? { configRepoRemote: opts.configRemote } : {}),
          ...(process.env.SWITCHYARD_WEBHOOK_URL ? { webhookUrl: process.env.SWITCHYARD_WEBHOOK_URL } : {}),
          workers: workerSettings(),
          onRuntimeEvent: (e) => line(describeEvent(e)),
          onLine: line,
          ...(advertise ? { advertise } : {}),
          leaderRetryMs,
          ...(follow ? { follow } : {}),
        });
        if (server.adminToken) {
          const tightened = await saveCredentials(server.address, server.adminToken);
          if (tightened.length > 0) line(`⚠ ${tightenedLine(tightened)}`);
        }
        for (const served of server.environments.values()) {
          const name = served.fleet.environment.name;
          out.write(
            formatStatus(
              `${name} (${where(served.fleet)})`,
              await served.runtime.status(),
              await served.runtime.workerStatus(),
            ),
          );
        }
        const several = server.environments.size > 1;
        out.write(
          `API and metrics: ${server.address}/v1/status${several ? ' (name the environment: --env on the CLI, X-Switchyard-Environment or ?env=)' : ''}  ·  /metrics  ·  /v1/openapi.json${server.adminToken ? ` (admin token saved for the CLI in ${credentialsFile()})` : ''}\n`,
        );
        const leadership = await server.leadership.view();
        if (leadership.replicas) out.write(`${describeLeadership(leadership)}\n`);
        out.write('Ctrl-C stops serving (local replicas and routers drain and stop; a cluster keeps running).\n');
        await untilStopped(server, out, () => undefined);
      },
    );
}
