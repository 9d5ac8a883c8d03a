import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SwitchyardError } from '../../errors/index.js';
import { findHaproxy, LocalRouter, type RouterEvent, initialRouting, type RoutingState } from '../../router/index.js';
import { withState, type UnitState } from '../../render/index.js';
import { routerPorts, type Fleet, type Service, type Worker } from '../../spec/index.js';
import { QueueAutoscaler, type QueueDepthSource } from '@switchyard/worker';
import { WorkerClassRunner, type WorkerClassStatus, type WorkerEvent } from './worker-runner.js';
import type { Measurement } from '../../release/index.js';
import { TrackRunner, versionedCommand, type TrackEvent, type TrackStatus } from './track-runner.js';
import { existsSync } from 'node:fs';
import { sortLeftovers } from './leftovers.js';
import { terminate } from './proc.js';
import { ProcessRecord } from './process-record.js';

export type RuntimeEvent = RouterEvent | TrackEvent | WorkerEvent;

export interface LocalRuntimeOptions {
  readonly fleet: Fleet;
  /** Router configuration, sockets and replica logs live here. */
  readonly dataDir: string;
  /** Desired state to come back to (after a restart): track versions, replicas and routing per service. */
  readonly states?: Readonly<Record<string, UnitState>>;
  readonly onEvent?: (event: RuntimeEvent) => void;
  /** Where workers find their broker and how their queues are measured (from the environment of `up`). */
  readonly workers?: {
    readonly env: Readonly<Record<string, string>>;
    readonly depth?: QueueDepthSource;
    readonly autoscaleIntervalMs?: number;
  };
}

export interface ServiceStatus {
  readonly service: string;
  readonly address: string;
  readonly stats: string;
  readonly routerPid?: number;
  readonly routing: RoutingState;
  readonly tracks: readonly TrackStatus[];
}

// The assignment lives in spec, where validate checks that no two ports meet.
export { routerPorts };

interface Running {
  readonly service: Service;
  readonly router: LocalRouter;
  readonly tracks: Map<string, TrackRunner>;
}

/**
 * The embedded default: every track of every service as local processes, each service
 * behind its own HAProxy. Starting brings routers up first, then replicas join them as
 * they become ready; stopping drains them before their processes get SIGTERM.
 */
export class LocalRuntime {
  private readonly running = new Map<string, Running>();
  private readonly workerRunners: WorkerClassRunner[] = [];
  private readonly autoscalers: QueueAutoscaler[] = [];
  /** Every process started here, written down before it starts (`<data-dir>/processes.json`). */
  private readonly record: ProcessRecord;
  /** What the last start found of a previous run: processes kept (adopted) and stopped. */
  recovery = { adopted: 0, stopped: 0 };

  constructor(private readonly options: LocalRuntimeOptions) {
    this.record = new ProcessRecord(resolve(options.dataDir));
  }

  get fleet(): Fleet {
    return this.options.fleet;
  }

  async start(): Promise<void> {
    const { fleet } = this.options;
    const services = fleet.units.filter((u): u is Service => u.kind === 'Service').map((s) => withState(s, this.options.states?.[s.name]));
    const missing = services.filter((s) => !s.command);
    if (missing.length > 0) {
      throw new SwitchyardError('SWY_RUNTIME_START_FAILED', { message: `No command to run for ${missing.map((s) => s.name).join(', ')} on the local runtime`, hint: 'Add command: [program, args…] to each service file.' });
    }
    const binary = findHaproxy();
    const ports = routerPorts(fleet);
    const logDir = join(this.options.dataDir, 'logs');
    await mkdir(logDir, { recursive: true });
    const cwd = resolve(fleet.dir);
    const leftovers = await sortLeftovers(this.record, new Map(services.map((s) => [s.name, s.tracks.map((t) => t.name)])));
    const recovery = { adopted: 0, stopped: leftovers.stopped };
    const onEvent = this.options.onEvent ? { onEvent: this.options.onEvent } : {};
    try {
      for (const service of services) {
        const { port, statsPort } = ports.get(service.name) as { port: number; statsPort: number };
        const router = new LocalRouter({
          service,
          routing: this.options.states?.[service.name]?.routing ?? initialRouting(service),
          dir: join(this.options.dataDir, 'routers', service.name),
          host: fleet.environment.local.host,
          port,
          statsPort,
          binary,
          record: this.record,
          ...onEvent,
        });
        const tracks = new Map(
          service.tracks.map((t) => [t.name, new TrackRunner({ service, track: t.name, router, cwd, logDir, host: fleet.environment.local.host, record: this.record, ...onEvent })]),
        );
        this.running.set(service.name, { service, router, tracks });
        // The router that kept serving while the control plane was down is kept; one that does not answer is replaced.
        const previous = leftovers.routers.get(service.name);
        if (previous && (await router.adopt(previous.pid))) {
          this.record.keep(previous);
          recovery.adopted++;
        } else {
          if (previous) {
            await terminate(previous.pid, 5000);
            this.record.gone(previous.name);
            recovery.stopped++;
          }
          await router.start();
        }
        for (const [track, runner] of tracks) {
          const kept = await runner.adopt(leftovers.replicas.get(`${service.name}/${track}`) ?? []);
          recovery.adopted += kept.adopted;
          recovery.stopped += kept.stopped;
        }
      }
      this.recovery = recovery;
      await Promise.all([...this.running.values()].flatMap((r) => [...r.tracks.values()].map((t) => t.start())));
      await this.startWorkers(cwd, logDir);
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  private running_(name: string): Running {
    const running = this.running.get(name);
    if (!running) {
      throw new SwitchyardError('SWY_SPEC_SERVICE_NOT_FOUND', {
        message: `The service ${name} is not running here`,
        hint: `Use one of: ${[...this.running.keys()].sort().join(', ')}.`,
        details: { service: name },
      });
    }
    return running;
  }

  /** The service as it runs here: its spec with the versions and replicas its tracks have now. */
  /** Workers run as local processes per class; a class without a ready broker keeps retrying without holding the fleet back. */
  private async startWorkers(cwd: string, logDir: string): Promise<void> {
    const workers = this.fleet.units.filter((u): u is Worker => u.kind === 'Worker' && u.command !== undefined);
    const settings = this.options.workers;
    for (const worker of workers) {
      const s3 = worker.storageUrl?.startsWith('s3://') && !settings?.env.SWITCHYARD_S3_ENDPOINT && !settings?.env.AWS_ENDPOINT_URL_S3;
      const env = {
        ...settings?.env,
        // No S3 endpoint on this machine: the worker keeps its objects in the data directory.
        ...(s3 || !worker.storageUrl ? { SWITCHYARD_STORAGE_URL: `file://${join(this.options.dataDir, 'objects', worker.name)}` } : {}),
        SWITCHYARD_TASK_STATS_FILE: join(this.options.dataDir, 'worker-stats', `${worker.name}.jsonl`),
      };
      await mkdir(join(this.options.dataDir, 'worker-stats'), { recursive: true });
      for (const workerClass of [worker.normal, ...(worker.fallback ? [worker.fallback] : [])]) {
        const runner = new WorkerClassRunner({ worker, workerClass, cwd, logDir, host: this.fleet.environment.local.host, env, record: this.record, ...(this.options.onEvent ? { onEvent: this.options.onEvent } : {}) });
        this.workerRunners.push(runner);
        if (settings?.depth) {
          this.autoscalers.push(
            new QueueAutoscaler({
              queue: workerClass.queue,
              source: settings.depth,
              target: runner,
              intervalMs: settings.autoscaleIntervalMs ?? 2000,
              policy: { minReplicas: workerClass.minReplicas, maxReplicas: workerClass.maxReplicas, tasksPerReplica: worker.scaling.tasksPerReplica, prefetch: worker.queue.prefetch, maxStepUp: 4, maxStepDown: 2, cooldownMs: worker.scaling.cooldownMs },
            }),
          );
        }
      }
    }
    await Promise.all(this.workerRunners.map((r) => r.start()));
    for (const scaler of this.autoscalers) scaler.start();
  }

  workerStatus(): WorkerClassStatus[] {
    return this.workerRunners.map((r) => r.status());
  }

  workerRunner(worker: string, workerClass: 'normal' | 'fallback'): WorkerClassRunner | undefined {
    return this.workerRunners.find((r) => r.name === `${worker}/${workerClass}`);
  }

  service(name: string): Service {
    const running = this.running_(name);
    return withState(running.service, this.desiredState(name));
  }

  router(service: string): LocalRouter {
    return this.running_(service).router;
  }

  track(service: string, track: string): TrackRunner {
    const runner = this.running_(service).tracks.get(track);
    if (!runner) {
      throw new SwitchyardError('SWY_SPEC_TRACK_NOT_FOUND', {
        message: `${service} has no track ${track}`,
        hint: `Use one of: ${[...this.running_(service).tracks.keys()].join(', ')}.`,
        details: { service, track },
      });
    }
    return runner;
  }

  /** Rolls a track to a version and/or replica count. */
  async updateTrack(service: string, track: string, change: { version?: string; replicas?: number }): Promise<void> {
    await this.track(service, track).update(change);
  }

  // What releases act through (ReleaseTarget).
  async setTrack(service: string, track: string, version: string): Promise<void> {
    await this.updateTrack(service, track, { version });
  }

  /** A version exists when the files its command names (through `{version}`) exist; otherwise any tag runs. */
  async checkVersion(service: string, version: string): Promise<void> {
    const command = this.running_(service).service.command ?? [];
    const templated = command.filter((arg) => arg.includes('{version}'));
    const missing = versionedCommand(templated, version).filter((arg) => !existsSync(resolve(this.fleet.dir, arg)));
    if (missing.length > 0) {
      throw new SwitchyardError('SWY_RELEASE_VERSION_UNKNOWN', {
        message: `${service} has no version ${version}: ${missing.map((m) => resolve(this.fleet.dir, m)).join(', ')} does not exist`,
        details: { service, version, missing },
      });
    }
  }

  setShare(service: string, group: string, share: number): Promise<void> {
    return this.router(service).setShare(group, share);
  }

  routeGroup(service: string, group: string, track: string): Promise<void> {
    return this.router(service).routeGroup(group, track);
  }

  setLegacyShare(service: string, share: number): Promise<void> {
    return this.router(service).setLegacyShare(share);
  }

  /** Track versions and the router's split, as the release engine sees them. */
  current(service: string): { versions: Record<string, string>; routing: RoutingState } {
    const running = this.running_(service);
    return {
      versions: Object.fromEntries([...running.tracks.values()].map((t) => [t.track, t.status().version])),
      routing: running.router.currentRouting(),
    };
  }

  /** The desired state to persist, so a restart comes back to it. */
  desiredState(service: string): UnitState {
    const running = this.running_(service);
    return {
      tracks: Object.fromEntries([...running.tracks.values()].map((t) => [t.track, { version: t.status().version, replicas: t.status().desired }])),
      routing: running.router.currentRouting(),
    };
  }

  /** Cumulative router counters per track (and legacy), for release gates. */
  async measure(service: string): Promise<Measurement> {
    const figures = await this.router(service).figures();
    return {
      // What users saw: connection errors the router retried elsewhere are not failures; one it could not retry became a 5xx.
      tracks: Object.fromEntries(figures.map((f) => [f.track, { requests: f.requests, errors: f.responses5xx, responseTimeMs: f.responseTimeMs }])),
    };
  }

  status(): ServiceStatus[] {
    return [...this.running.values()].map((r) => ({
      service: r.service.name,
      address: r.router.address,
      stats: r.router.statsAddress,
      ...(r.router.pid ? { routerPid: r.router.pid } : {}),
      routing: r.router.currentRouting(),
      tracks: [...r.tracks.values()].map((t) => ({ ...t.status(), ...(r.router.tracksWithoutServer().includes(t.track) ? { fallbackTo: r.service.stableTrack } : {}) })),
    }));
  }

  /** Drains and stops every replica, then every router. Nothing is left running. */
  async stop(): Promise<void> {
    await Promise.all(this.autoscalers.splice(0).map((a) => a.stop()));
    await this.options.workers?.depth?.close?.();
    await Promise.all(this.workerRunners.splice(0).map((w) => w.stop()));
    const running = [...this.running.values()];
    for (const r of running) r.router.stopSupervising();
    await Promise.all(running.flatMap((r) => [...r.tracks.values()].map((t) => t.stop())));
    await Promise.all(running.map((r) => r.router.stop()));
    this.running.clear();
  }
}
