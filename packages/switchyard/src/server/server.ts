import type { FastifyInstance } from 'fastify';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { Alerter, type Silence } from '../alerts/index.js';
import { buildApi, environmentHealth, newBus, type ApiContext } from '../api/index.js';
import { receiverNotifier, WebhookNotifier } from '../notifiers/index.js';
import { API_LOG, apiLogger } from './log.js';
import type { GitSource } from '../config-dir/index.js';
import { openConfigRepo, type ConfigRepo } from '../config-repo/index.js';
import { activeFreeze, describeFreeze, Orchestrator, type Notifier } from '../release/index.js';
import { GateMetrics, PrometheusHttpSource } from '../release/metrics/index.js';
import { LogNotifier, Notifiers } from '../release/notify/index.js';
import type { UnitState } from '../render/index.js';
import {
  createRuntime,
  ensurePortFree,
  type Runtime,
  type RuntimeEvent,
  type WorkerSettings,
} from '../runtime/index.js';
import type { Fleet } from '../spec/index.js';
import { SwitchyardError } from '../errors/index.js';
import {
  listDesiredState,
  listSilences,
  openStore,
  StoreAlertJournal,
  StoreReleaseRepository,
  type Store,
} from '../store/index.js';
import { adminToken } from './admin-token.js';
import { defaultAdvertise } from './advertise.js';
import { secureDataDir, tightenedLine } from './private-files.js';
import type { Leadership } from './leadership.js';
import { directoryConfig } from './commits.js';
import { ConfigFollower } from './follow.js';
import { FleetRecorder } from './recorder.js';
import { replicaLeadership, type LedEnvironment } from './replicas.js';
import { runtimeEventRecorder } from './runtime-events.js';

export interface ServerOptions {
  /** The environments this server serves, each on the runtime its file names; `up` serves one. */
  readonly fleets: readonly Fleet[];
  /** Routers, logs, the embedded store and the config repository live here by default. */
  readonly dataDir: string;
  /** Where the API listens (default: the first environment's local host and API port). */
  readonly listen?: { readonly host: string; readonly port: number };
  /** `postgres://…` for a shared server; the embedded store in the data directory by default. */
  readonly storeUrl?: string;
  /** The config repository's directory (default: <data-dir>/config-repo) and an optional remote to push to. */
  readonly configRepoDir?: string;
  readonly configRepoRemote?: string;
  /** Slack-compatible webhook for release notifications. */
  readonly webhookUrl?: string;
  readonly tickMs?: number;
  /** How often the leader evaluates health for the alerts (default 10 s). */
  readonly alertsEveryMs?: number;
  /** The alert outboxes' first retry delay (default 1 s). */
  readonly alertsRetryMs?: number;
  readonly onRuntimeEvent?: (event: RuntimeEvent) => void;
  /** Broker and storage settings for workers, and the queue-depth source their autoscalers read. */
  readonly workers?: WorkerSettings;
  readonly onLine?: (line: string) => void;
  /** Where the other replicas reach this one's API (default: the listen address; for 0.0.0.0, this host's address). */
  readonly advertise?: string;
  /** How often a standby tries to take the lead, and a leader checks it still holds it (default 1000 ms). */
  readonly leaderRetryMs?: number;
  /** The git repository the fleets were read from, to follow (server/follow.ts); absent: the directory is read once. */
  readonly follow?: FollowOptions;
}

export interface FollowOptions {
  readonly source: GitSource;
  /** The commit the fleets were read at. */
  readonly served: string;
  /** 0: no polling (the webhook only). */
  readonly pollMs: number;
  readonly webhookSecret?: string;
}

/** One environment as the server serves it: its runtime, its release orchestrator, its API context. */
export interface ServedEnvironment {
  /** The spec served now (a new commit of a followed repository replaces it). */
  readonly fleet: Fleet;
  readonly runtime: Runtime;
  readonly orchestrator: Orchestrator;
}

export interface RunningServer {
  /** Every environment served, by name, in the order given. */
  readonly environments: ReadonlyMap<string, ServedEnvironment>;
  /** The first environment's runtime and orchestrator: the only ones of a one-environment server such as `up`. */
  readonly runtime: Runtime;
  readonly orchestrator: Orchestrator;
  readonly store: Store;
  readonly configRepo: ConfigRepo;
  readonly api: FastifyInstance;
  readonly address: string;
  /** The followed repository (absent when the configuration is a directory read once). */
  readonly follower?: ConfigFollower;
  /**
   * The admin token created on the first start (also in <data-dir>/admin.token); none on a
   * replica whose PostgreSQL store got its admin token from another replica.
   */
  readonly adminToken: string | undefined;
  /** Whether this replica leads the replicas sharing its store (a lone server always does). */
  readonly leadership: Leadership;
  stop(): Promise<void>;
}

/** Shell-quotes a path only when it needs it, so the command in a hint can be pasted as is. */
const shellWord = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`);

/** The exact command that gives the owner of this data directory a new admin token. */
function recoveryCommand(options: ServerOptions, fleet: Fleet, store: Store): string {
  const url = options.storeUrl;
  // A password is never printed: the store's location leaves it out.
  const storeArg = url
    ? ` --store ${store.engine === 'postgres' && store.location !== url ? '<the same postgres:// URL>' : shellWord(url)}`
    : '';
  return `switchyard token recover ${shellWord(fleet.dir)} --env ${fleet.environment.name} --data-dir ${shellWord(options.dataDir)}${storeArg}`;
}

/** The names of the environments, or a clear error when there are none or one is given twice. */
function checkFleets(fleets: readonly Fleet[]): Fleet {
  const [first] = fleets;
  if (!first)
    throw new SwitchyardError('SWY_CLI_USAGE', { message: 'A server needs at least one environment to serve' });
  const names = fleets.map((f) => f.environment.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new SwitchyardError('SWY_CLI_USAGE', { message: `The environment ${twice} is given twice` });
  return first;
}

/**
 * Switchyard's server: for each environment it serves, the runtime the environment names (its
 * replicas and routers, or its cluster) and a release orchestrator; shared between them, the
 * store, the config repository and the API. A restart comes back to the desired state the store
 * holds and resumes every release where it stopped.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { dataDir } = options;
  const first = checkFleets(options.fleets);
  const listen = options.listen ?? { host: first.environment.local.host, port: first.environment.local.apiPort };
  // What is missing or busy on this machine is said before anything starts (each runtime checks what it needs).
  const runtimes: Runtime[] = [];
  // Set once the store is open (before any runtime starts): scaling and failures go to the timeline.
  const recorders = new Map<string, (event: RuntimeEvent) => void>();
  for (const fleet of options.fleets) {
    const environment = fleet.environment.name;
    runtimes.push(
      await createRuntime(fleet, {
        dataDir: options.fleets.length > 1 ? join(dataDir, environment) : dataDir,
        onEvent: (event) => {
          options.onRuntimeEvent?.(event);
          recorders.get(environment)?.(event);
        },
        ...(options.workers ? { workers: options.workers } : {}),
      }),
    );
  }
  await ensurePortFree(listen.host, listen.port, 'Switchyard API');
  // Private before anything is read or written there; the directories the runtime and the
  // config repository are about to make are made here first, 0700.
  const tightened = await secureDataDir(dataDir, [
    ...(options.storeUrl ? [] : ['store']),
    ...(options.configRepoDir ? [] : ['config-repo']),
    'logs',
    'routers',
    ...(options.fleets.length > 1 ? options.fleets.map((f) => f.environment.name) : []),
  ]);
  if (tightened.length > 0) options.onLine?.(`⚠ ${tightenedLine(tightened)}`);
  const store = await openStore(options.storeUrl ?? join(dataDir, 'store'));
  const cleanup: (() => Promise<unknown>)[] = [() => store.close()];
  for (const fleet of options.fleets)
    recorders.set(fleet.environment.name, runtimeEventRecorder(store, fleet.environment.name, options.onLine));
  cleanup.unshift(async () => recorders.clear());
  try {
    const recovery = recoveryCommand(options, first, store);
    const token =
      store.engine === 'postgres'
        ? await adminToken(store, dataDir, recovery, { onShared: (line) => options.onLine?.(`ⓘ ${line}`) })
        : await adminToken(store, dataDir, recovery);
    const configRepo = await openConfigRepo({
      dir: options.configRepoDir ?? join(dataDir, 'config-repo'),
      ...(options.configRepoRemote ? { remote: options.configRepoRemote } : {}),
    });
    const notifiers: Notifier[] = [new LogNotifier((line) => options.onLine?.(line))];
    if (options.webhookUrl) notifiers.push(new WebhookNotifier(options.webhookUrl));
    const releases = new StoreReleaseRepository(store);
    const journal = new StoreAlertJournal(store);
    const environments = new Map<string, ServedEnvironment>();
    const contexts: ApiContext[] = [];
    const led: LedEnvironment[] = [];
    const follower = options.follow
      ? new ConfigFollower({
          ...options.follow,
          runtimes: new Map(options.fleets.map((f, i) => [f.environment.name, runtimes[i] as Runtime])),
          store,
          configRepo,
          releases,
          ...(options.onLine ? { onLine: options.onLine } : {}),
        })
      : undefined;
    const config = follower ?? directoryConfig(first.dir);
    for (const [i, fleet] of options.fleets.entries()) {
      const runtime = runtimes[i] as Runtime;
      const env = fleet.environment;
      const states: Record<string, UnitState> = {};
      for (const record of await listDesiredState<UnitState>(store, env.name)) states[record.service] = record.state;
      await runtime.start(states);
      cleanup.unshift(() => runtime.stop());
      const bus = newBus();
      const orchestrator = new Orchestrator({
        environment: env.name,
        freeze: (_environment, at) => {
          const window = activeFreeze(env.freezes, at);
          return window ? describeFreeze(window) : undefined;
        },
        repository: releases,
        target: runtime,
        recorder: new FleetRecorder(
          store,
          configRepo,
          () => runtime.fleet,
          (line) => options.onLine?.(`⚠ ${line}`),
        ),
        notifier: new Notifiers(notifiers),
        metrics: new GateMetrics(runtime, new PrometheusHttpSource()),
        ...(options.tickMs !== undefined ? { tickMs: options.tickMs } : {}),
        onEvent: () => bus.emit('event'),
        onError: (err) => options.onLine?.(`✖ ${env.name}: ${err instanceof Error ? err.message : String(err)}`),
        ...(process.env.SWITCHYARD_FAULT ? { fault: process.env.SWITCHYARD_FAULT } : {}),
      });
      cleanup.unshift(() => orchestrator.stop());
      // The spec served is the runtime's: a new commit of a followed repository replaces it there.
      const fleetNow = () => runtime.fleet;
      const alerts = new Alerter({
        environment: env.name,
        config: () => fleetNow().environment.alerts,
        silences: async () => (await listSilences(store, env.name)) as Silence[],
        notifier: (receiver, config) =>
          receiverNotifier(receiver, { repeatMs: config.repeatMs, ...(config.url ? { url: config.url } : {}) }),
        journal,
        ...(options.alertsRetryMs !== undefined ? { outbox: { initialDelayMs: options.alertsRetryMs } } : {}),
        ...(options.onLine ? { onLine: options.onLine } : {}),
      });
      environments.set(env.name, {
        get fleet() {
          return fleetNow();
        },
        runtime,
        orchestrator,
      });
      contexts.push({
        get fleet() {
          return fleetNow();
        },
        runtime,
        store,
        orchestrator,
        releases,
        configRepo,
        bus,
        config,
        alerts,
        ...(options.workers?.readings ? { queues: options.workers.readings } : {}),
      });
      const context = contexts[contexts.length - 1] as ApiContext;
      led.push({
        name: env.name,
        runtime,
        orchestrator,
        bus,
        alerts: {
          // Health follows the runtime's changes as they happen; the timer catches what time alone changes.
          start: () =>
            alerts.start(
              () => environmentHealth(context),
              options.alertsEveryMs ?? 10_000,
              (listener) => runtime.onChange(listener),
            ),
          stop: () => alerts.stop(),
        },
      });
      cleanup.unshift(async () => alerts.stop());
    }
    const address = `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`;
    const leadership = replicaLeadership({
      store,
      environments: led,
      configRepo,
      releases,
      ...(follower ? { follower } : {}),
      address: options.advertise ?? defaultAdvertise(listen, networkInterfaces()),
      ...(options.leaderRetryMs !== undefined ? { retryMs: options.leaderRetryMs } : {}),
      say: (line) => options.onLine?.(line),
    });
    const api = buildApi(contexts, {
      leadership,
      logger: apiLogger(join(dataDir, 'logs', API_LOG)),
      onUnexpected: ({ requestId, method, url }) =>
        options.onLine?.(
          `✖ API: unexpected failure of ${method} ${url.split('?')[0]} (request ${requestId}; details in ${join(dataDir, 'logs', API_LOG)})`,
        ),
    });
    // A lone server (and the embedded store's one opener) leads, and has resumed its releases, before it answers.
    cleanup.unshift(() => leadership.stop());
    await leadership.start();
    await api.listen(listen);
    cleanup.unshift(() => api.close());
    const { runtime, orchestrator } = environments.get(first.environment.name) as ServedEnvironment;
    return {
      environments,
      runtime,
      orchestrator,
      store,
      configRepo,
      ...(follower ? { follower } : {}),
      api,
      address,
      adminToken: token,
      leadership,
      async stop() {
        for (const step of cleanup) await step().catch(() => undefined);
      },
    };
  } catch (err) {
    for (const step of cleanup) await step().catch(() => undefined);
    throw err;
  }
}
