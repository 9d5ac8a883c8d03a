import { WORKER_ENV } from '@switchyard/worker/contract';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { QueueAutoscaler, ScaleTarget } from '@switchyard/worker';
import { SwitchyardError } from '../../errors/index.js';
import { withState, type UnitState } from '../../render/index.js';
import { initialRouting, type RoutingState } from '../../router/index.js';
import { diffFleets, routerPorts, type Fleet, type RouterPorts, type Service, type Worker } from '../../spec/index.js';
import { Changes } from '../changes.js';
import type {
  Leftover,
  Runtime,
  RuntimeEvent,
  RuntimeOptions,
  ServiceStatus,
  TrackChange,
  TrackStatus,
  WorkerClassStatus,
} from '../port.js';
import { ScheduleFloors } from '../schedule-floors.js';
import { workerAutoscalers } from '../worker-autoscalers.js';
import { findHaproxy, type HaproxyBinary } from './haproxy-process.js';
import { sortLeftovers, strayReplicas } from './leftovers.js';
import { LocalRouter } from './local-router.js';
import { terminate } from './proc.js';
import { ProcessRecord } from './process-record.js';
import { TrackRunner, versionedCommand } from './track-runner.js';
import { WorkerClassRunner } from './worker-runner.js';

export interface LocalRuntimeOptions extends RuntimeOptions {
  readonly fleet: Fleet;
  /** The HAProxy its routers run (found on this machine by default). */
  readonly haproxy?: HaproxyBinary;
}

interface Running {
  readonly service: Service;
  readonly router: LocalRouter;
  readonly tracks: Map<string, TrackRunner>;
}

/** How often status() looks in /proc for replicas nobody runs (the `leftovers` check). */
const STRAY_SCAN_MS = 1000;

/**
 * The embedded default: every track of every service as local processes, each service
 * behind its own HAProxy. Starting brings routers up first, then replicas join them as
 * they become ready; stopping drains them before their processes get SIGTERM.
 */
export class LocalRuntime implements Runtime {
  private readonly running = new Map<string, Running>();
  /** Services whose stable track a schedule window holds up: the floor, and the track's own count. */
  private readonly floors = new Map<string, { floor: number; base: number }>();
  /** Sets the floors while this server leads. */
  private readonly scheduleFloors: ScheduleFloors;
  /** Worker name → its classes' runners, and their autoscalers while this server leads. */
  private readonly workers = new Map<string, { runners: WorkerClassRunner[]; autoscalers: QueueAutoscaler[] }>();
  /** Worker runners a stop is draining: a stop at once must still reach them. */
  private stoppingWorkers: WorkerClassRunner[] = [];
  private leading = false;
  private readonly changes = new Changes();
  /** The fleet served; a new commit of the configuration replaces it (replaceFleet). */
  private served: Fleet;
  /** Every process started here, written down before it starts (`<data-dir>/processes.json`). */
  private readonly record: ProcessRecord;
  private strayScan: { readonly at: number; readonly found: Map<string, Leftover[]> } | undefined;

  constructor(private readonly options: LocalRuntimeOptions) {
    this.record = new ProcessRecord(resolve(options.dataDir));
    this.served = options.fleet;
    this.scheduleFloors = new ScheduleFloors({
      fleet: () => this.fleet,
      setFloor: (service, floor) => (this.running.has(service) ? this.setFloor(service, floor) : Promise.resolve()),
      onEvent: this.emit,
    });
  }

  /** Tells the runtime's listeners: an event (options.onEvent) and a change of what status() reports. */
  private readonly emit = (event: RuntimeEvent): void => {
    this.options.onEvent?.(event);
    this.changes.emit();
  };

  onChange(listener: () => void): () => void {
    return this.changes.subscribe(listener);
  }

  get fleet(): Fleet {
    return this.served;
  }

  private get logDir(): string {
    return join(this.options.dataDir, 'logs');
  }

  /** A service's router and track runners, made but not started. */
  private build(service: Service, state: UnitState | undefined, ports: RouterPorts, binary: HaproxyBinary): Running {
    const { fleet } = this;
    const router = new LocalRouter({
      service,
      routing: state?.routing ?? initialRouting(service),
      dir: join(this.options.dataDir, 'routers', service.name),
      host: fleet.environment.local.host,
      port: ports.port,
      statsPort: ports.statsPort,
      binary,
      record: this.record,
      onEvent: this.emit,
      onLeftovers: () => this.changes.emit(),
    });
    const tracks = new Map(
      service.tracks.map((t) => [
        t.name,
        new TrackRunner({
          service,
          track: t.name,
          router,
          cwd: resolve(fleet.dir),
          logDir: this.logDir,
          host: fleet.environment.local.host,
          record: this.record,
          onEvent: this.emit,
        }),
      ]),
    );
    return { service, router, tracks };
  }

  async start(states: Readonly<Record<string, UnitState>> = {}): Promise<void> {
    const { fleet } = this;
    const services = fleet.units
      .filter((u): u is Service => u.kind === 'Service')
      .map((s) => withState(s, states[s.name]));
    const missing = services.filter((s) => !s.command);
    if (missing.length > 0) {
      throw new SwitchyardError('SWY_RUNTIME_START_FAILED', {
        message: `No command to run for ${missing.map((s) => s.name).join(', ')} on the local runtime`,
        hint: 'Add command: [program, args…] to each service file.',
      });
    }
    const binary = this.options.haproxy ?? findHaproxy();
    const ports = routerPorts(fleet);
    await mkdir(this.logDir, { recursive: true });
    const leftovers = await sortLeftovers(
      this.record,
      new Map(services.map((s) => [s.name, s.tracks.map((t) => t.name)])),
    );
    const recovery = { adopted: 0, stopped: leftovers.stopped };
    try {
      for (const service of services) {
        const { router, tracks } = this.build(
          service,
          states[service.name],
          ports.get(service.name) as RouterPorts,
          binary,
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
      if (recovery.adopted + recovery.stopped > 0) this.emit({ type: 'recovered', ...recovery });
      await Promise.all([...this.running.values()].flatMap((r) => [...r.tracks.values()].map((t) => t.start())));
      for (const worker of this.runnableWorkers()) await this.startWorker(worker);
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

  private runnableWorkers(): Worker[] {
    return this.fleet.units.filter((u): u is Worker => u.kind === 'Worker' && u.command !== undefined);
  }

  /** A worker runs as local processes per class; a class without a ready broker keeps retrying without holding the fleet back. */
  private async startWorker(worker: Worker): Promise<void> {
    const settings = this.options.workers;
    const cwd = resolve(this.fleet.dir);
    const logDir = this.logDir;
    const runners: WorkerClassRunner[] = [];
    this.workers.set(worker.name, { runners, autoscalers: [] });
    const s3 =
      worker.storageUrl?.startsWith('s3://') &&
      !settings?.env.SWITCHYARD_S3_ENDPOINT &&
      !settings?.env.AWS_ENDPOINT_URL_S3;
    const env = {
      ...settings?.env,
      // No S3 endpoint on this machine: the worker keeps its objects in the data directory.
      ...(s3 || !worker.storageUrl
        ? { [WORKER_ENV.storageUrl.name]: `file://${join(this.options.dataDir, 'objects', worker.name)}` }
        : {}),
      [WORKER_ENV.statsFile.name]: join(this.options.dataDir, 'worker-stats', `${worker.name}.jsonl`),
    };
    await mkdir(join(this.options.dataDir, 'worker-stats'), { recursive: true });
    for (const workerClass of [worker.normal, ...(worker.fallback ? [worker.fallback] : [])]) {
      const runner = new WorkerClassRunner({
        worker,
        workerClass,
        cwd,
        logDir,
        host: this.fleet.environment.local.host,
        env,
        record: this.record,
        onEvent: this.emit,
      });
      runners.push(runner);
    }
    await Promise.all(runners.map((r) => r.start()));
    if (this.leading) this.scale(worker);
  }

  /** Starts the autoscalers of one worker's classes (none without a depth source). */
  private scale(worker: Worker): void {
    const entry = this.workers.get(worker.name);
    if (!entry || entry.autoscalers.length > 0) return;
    entry.autoscalers.push(
      ...workerAutoscalers([worker], this.options.workers, (w, c) => this.scaleTarget(w.name, c.name)),
    );
    for (const scaler of entry.autoscalers) scaler.start();
  }

  /** Starts the workers' autoscalers: only the leading server drives replicas. */
  async lead(): Promise<void> {
    this.leading = true;
    for (const worker of this.runnableWorkers()) this.scale(worker);
    this.scheduleFloors.start();
  }

  /** Stops the autoscalers; the workers keep the replicas they have. */
  async follow(): Promise<void> {
    this.leading = false;
    await this.scheduleFloors.stop();
    await Promise.all([...this.workers.values()].flatMap((w) => w.autoscalers.splice(0)).map((a) => a.stop()));
  }

  private async stopWorker(name: string): Promise<void> {
    const running = this.workers.get(name);
    if (!running) return;
    this.workers.delete(name);
    await Promise.all(running.autoscalers.map((a) => a.stop()));
    await Promise.all(running.runners.map((w) => w.stop()));
  }

  /** Drains and stops one service's replicas, then its router. */
  private async stopService(name: string): Promise<void> {
    const running = this.running.get(name);
    if (!running) return;
    this.running.delete(name);
    this.floors.delete(name);
    running.router.stopSupervising();
    await Promise.all([...running.tracks.values()].map((t) => t.stop()));
    await running.router.stop();
  }

  private get workerRunners(): WorkerClassRunner[] {
    return [...this.workers.values()].flatMap((w) => w.runners);
  }

  /**
   * A new commit of the configuration: services and workers removed stop; added ones start;
   * a changed one (or one whose router port moved) is stopped and started again with its new
   * spec and the desired state it is given, so on this machine its replicas and router are
   * replaced (a brief gap for that service only).
   */
  async replaceFleet(next: Fleet, states: Readonly<Record<string, UnitState>>): Promise<void> {
    const before = this.served;
    const diff = diffFleets(before, next);
    const oldPorts = routerPorts(before);
    const newPorts = routerPorts(next);
    const moved = (name: string) => {
      const a = oldPorts.get(name);
      const b = newPorts.get(name);
      return a !== undefined && b !== undefined && (a.port !== b.port || a.statsPort !== b.statsPort);
    };
    const restart = new Set([...diff.changed, ...[...oldPorts.keys()].filter(moved)]);
    // A service restarted only because its router port moved comes back exactly as it runs.
    const kept: Record<string, UnitState> = {};
    for (const name of restart)
      if (!diff.changed.includes(name) && this.running.has(name)) kept[name] = this.desiredState(name);
    for (const name of [...diff.removed, ...restart]) {
      await this.stopService(name);
      await this.stopWorker(name);
    }
    this.served = next;
    const binary = this.options.haproxy ?? findHaproxy();
    for (const unit of next.units) {
      if (!diff.added.includes(unit.name) && !restart.has(unit.name)) continue;
      if (unit.kind === 'Worker') {
        if (unit.command !== undefined) await this.startWorker(unit);
        continue;
      }
      const state = states[unit.name] ?? kept[unit.name];
      const service = withState(unit, state);
      const running = this.build(service, state, newPorts.get(unit.name) as RouterPorts, binary);
      this.running.set(unit.name, running);
      await running.router.start();
      await Promise.all([...running.tracks.values()].map((t) => t.start()));
    }
    this.changes.emit();
  }

  async workerStatus(): Promise<WorkerClassStatus[]> {
    return this.workerRunners.map((r) => r.status());
  }

  scaleTarget(worker: string, workerClass: 'normal' | 'fallback'): ScaleTarget {
    const runner = this.workerRunners.find((r) => r.name === `${worker}/${workerClass}`);
    if (!runner) {
      throw new SwitchyardError('SWY_SPEC_SERVICE_NOT_FOUND', {
        message: `${worker} is not a worker with a ${workerClass} class running here`,
        details: { service: worker, workerClass },
      });
    }
    return runner;
  }

  /** The service as it runs here: its spec with the versions and replicas its tracks have now. */
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

  async trackStatus(service: string, track: string): Promise<TrackStatus> {
    return this.track(service, track).status();
  }

  async updateTrack(service: string, track: string, change: TrackChange): Promise<void> {
    const floor = this.floors.get(service);
    if (floor && change.replicas !== undefined && track === this.running_(service).service.stableTrack) {
      // The track's own count changes; the floor keeps holding it up while the window is open.
      floor.base = change.replicas;
      change = { ...change, replicas: Math.max(change.replicas, floor.floor) };
    }
    await this.track(service, track).update(change);
    this.changes.emit();
  }

  /** Raises the stable track to `floor` replicas (no autoscaler runs locally), or back to its own count. */
  async setFloor(service: string, floor: number | undefined): Promise<void> {
    const runner = this.track(service, this.running_(service).service.stableTrack);
    const base = this.floors.get(service)?.base ?? runner.status().desired;
    if (floor === undefined) this.floors.delete(service);
    else this.floors.set(service, { floor, base });
    const target = Math.max(base, floor ?? 0);
    if (runner.status().desired !== target) await runner.update({ replicas: target });
    this.changes.emit();
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
      tracks: Object.fromEntries(
        [...running.tracks.values()].map((t) => [
          t.track,
          {
            version: t.status().version,
            // What persists is the track's own count: a floor is the schedule's, not the state's.
            replicas:
              t.track === running.service.stableTrack
                ? (this.floors.get(service)?.base ?? t.status().desired)
                : t.status().desired,
          },
        ]),
      ),
      routing: running.router.currentRouting(),
    };
  }

  /** Every pid the runtime runs now: routers, replicas and workers. */
  private ownedPids(): Set<number> {
    const pids = new Set<number>();
    for (const r of this.running.values()) {
      if (r.router.pid) pids.add(r.router.pid);
      for (const t of r.tracks.values()) for (const pid of t.pids()) pids.add(pid);
    }
    for (const w of this.workerRunners) for (const r of w.status().replicas) if (r.pid) pids.add(r.pid);
    return pids;
  }

  /** Stray replicas as last read from /proc: health evaluates on every change, the scan runs at most once a second. */
  private strays(): Map<string, Leftover[]> {
    const now = Date.now();
    if (!this.strayScan || now - this.strayScan.at >= STRAY_SCAN_MS)
      this.strayScan = { at: now, found: strayReplicas(this.record.dataDir, this.ownedPids()) };
    return this.strayScan.found;
  }

  async status(): Promise<ServiceStatus[]> {
    const strays = this.strays();
    return [...this.running.values()].map((r) => ({
      service: r.service.name,
      address: r.router.address,
      stats: r.router.statsAddress,
      ...(r.router.pid ? { routerPid: r.router.pid } : {}),
      router: r.router.replicas,
      routing: r.router.currentRouting(),
      tracks: [...r.tracks.values()].map((t) => ({
        ...t.status(),
        ...(r.router.tracksWithoutServer().includes(t.track) ? { fallbackTo: r.service.stableTrack } : {}),
      })),
      leftovers: [...(strays.get(r.service.name) ?? []), ...r.router.leftovers],
    }));
  }

  /** Kills every replica and worker (with its task processes) at once; the routers stay for the next start to adopt. */
  stopAtOnce(): void {
    for (const r of this.running.values()) for (const t of r.tracks.values()) t.kill();
    for (const w of [...this.workerRunners, ...this.stoppingWorkers]) w.kill();
  }

  /** Drains and stops every replica, then every router. Nothing is left running. */
  async stop(): Promise<void> {
    await this.scheduleFloors.stop();
    const workers = [...this.workers.values()];
    this.workers.clear();
    this.stoppingWorkers = workers.flatMap((w) => w.runners);
    await Promise.all(workers.flatMap((w) => w.autoscalers).map((a) => a.stop()));
    await this.options.workers?.depth?.close?.();
    await Promise.all(workers.flatMap((w) => w.runners).map((w) => w.stop()));
    const running = [...this.running.values()];
    for (const r of running) r.router.stopSupervising();
    await Promise.all(running.flatMap((r) => [...r.tracks.values()].map((t) => t.stop())));
    await Promise.all(running.map((r) => r.router.stop()));
    this.running.clear();
  }
}

/** The local runtime for `fleet`; HAProxy must be on this machine (checked here, before anything starts). */
export function createRuntime(fleet: Fleet, options: RuntimeOptions): LocalRuntime {
  return new LocalRuntime({ ...options, fleet, haproxy: findHaproxy() });
}
