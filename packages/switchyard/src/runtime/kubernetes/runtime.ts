import { SwitchyardError } from '../../errors/index.js';
import {
  ANNOTATION,
  isDeployment,
  LABEL,
  renderUnit,
  routerName,
  trackObjectName,
  withState,
  workerObjectName,
  type KubeObject,
  type RenderedUnit,
  type UnitState,
} from '../../render/index.js';
import { initialRouting, routingFromMaps, type RoutingState } from '../../router/index.js';
import { diffFleets, type Fleet, type Service, type Unit, type Worker } from '../../spec/index.js';
import type { QueueAutoscaler } from '@switchyard/worker';
import type {
  Runtime,
  RuntimeEvent,
  RuntimeOptions,
  ServiceStatus,
  TrackChange,
  TrackStatus,
  WorkerClassStatus,
  WorkerSettings,
} from '../port.js';
import { ScheduleFloors } from '../schedule-floors.js';
import { workerAutoscalers } from '../worker-autoscalers.js';
import { applyObjects, inventorySelector, listAll, type ApplyOptions, type ApplyResult } from './apply.js';
import { KubeClient, type KubeClientOptions } from './client.js';
import { DeploymentScaleTarget, readyEndpoints } from './endpoints.js';
import { verifyCluster, type ClusterCheck } from './identity.js';
import { collectionPath, KINDS } from './kinds.js';
import type { InformerCounts } from './informer.js';
import { LiveCache, type LiveConfigMap } from './live-cache.js';
import { RouterPods } from './router-pods.js';
import { waitForRollout, type LiveDeployment, type LivePod, type WaitOptions } from './rollout.js';
import { liveTracks, serviceStatus, workerStatus, type LiveFleet } from './status.js';
import { Changes } from '../changes.js';

export interface KubernetesRuntimeOptions {
  readonly fleet: Fleet;
  /** Path of the kubeconfig (default $KUBECONFIG, then ~/.kube/config). */
  readonly kubeconfig?: string;
  /** Overrides the environment's cluster.context (not looked up in a pod without a kubeconfig). */
  readonly context?: string;
  /** In a pod: what prefixes the service account's directory (tests point it at their own). */
  readonly serviceAccountRoot?: string;
  /** Desired state to render with (a release's versions and routing); default: the spec alone. */
  readonly states?: Readonly<Record<string, UnitState>>;
  readonly onProgress?: (line: string) => void;
  /** What the runtime does on its own (schedule floors), as events. */
  readonly onEvent?: (event: RuntimeEvent) => void;
  readonly wait?: Omit<WaitOptions, 'onProgress'>;
  /** Requests in flight at once (default 32). */
  readonly concurrency?: number;
  /** The workers' queue-depth source: with it, lead() drives each worker class's Deployment scale. */
  readonly workers?: WorkerSettings;
  /** How long the API server keeps each watch of the status cache open before it is resumed (default 300 s). */
  readonly watchTimeoutSeconds?: number;
}

export interface KubernetesApplyOptions extends Pick<ApplyOptions, 'dryRun' | 'prune'> {
  /** Only these services (and workers); pruning stays among them. Default: the whole fleet. */
  readonly services?: readonly string[];
  /** Wait for every Deployment to roll out (default true unless dryRun). */
  readonly wait?: boolean;
}

/** Image tags: what a version can be on Kubernetes (the registry is not asked). */
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * The Kubernetes runtime: the fleet's rendered objects server-side applied into the
 * environment's namespace, and the runtime the server and the release engine act through on
 * a cluster. The cluster is the source of truth for what runs: `load()` reads track versions
 * from the Deployments' labels and the routing from the routers' ConfigMaps.
 */
export class KubernetesRuntime implements Runtime {
  private readonly states = new Map<string, UnitState>();
  private readonly routers = new Map<string, RouterPods>();
  private verified: ClusterCheck | undefined;
  /** The fleet served; a new commit of the configuration replaces it (replaceFleet). */
  private served: Fleet;
  /** The namespace's Deployments, Pods and ConfigMaps, watched from start() to stop(). */
  private live: LiveCache | undefined;
  private readonly autoscalers: QueueAutoscaler[] = [];
  /** Sets the floors while this server leads. */
  private readonly scheduleFloors = new ScheduleFloors({
    fleet: () => this.fleet,
    setFloor: (service, floor) => this.setFloor(service, floor),
    onEvent: (event) => (event.type === 'progress' ? this.say(event.line) : this.options.onEvent?.(event)),
  });
  private leading = false;
  private readonly changes = new Changes();

  private constructor(
    readonly client: KubeClient,
    private readonly options: KubernetesRuntimeOptions,
  ) {
    for (const [name, state] of Object.entries(options.states ?? {})) this.states.set(name, state);
    this.served = options.fleet;
  }

  /** Connects to the environment's context (or options.context). Sends nothing yet. */
  static async connect(options: KubernetesRuntimeOptions): Promise<KubernetesRuntime> {
    const env = options.fleet.environment;
    if (env.runtime !== 'kubernetes' && !options.context) {
      throw new SwitchyardError('SWY_KUBE_NOT_KUBERNETES', {
        message: `Environment ${env.name} runs on the ${env.runtime} runtime, not on Kubernetes`,
        details: { environment: env.name },
      });
    }
    const context = options.context ?? env.cluster?.context;
    const clientOptions: KubeClientOptions = {
      ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}),
      ...(context ? { context } : {}),
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      ...(options.serviceAccountRoot ? { serviceAccountRoot: options.serviceAccountRoot } : {}),
    };
    return new KubernetesRuntime(await KubeClient.connect(clientOptions), options);
  }

  get fleet(): Fleet {
    return this.served;
  }

  /**
   * A new commit of the configuration: the objects of units removed are pruned; units added or
   * changed are applied (a rolling update where a Deployment changed), rendered with the state
   * given or, for a unit not named there, with its new spec alone; then waits for their rollout.
   */
  async replaceFleet(next: Fleet, states: Readonly<Record<string, UnitState>>): Promise<void> {
    const diff = diffFleets(this.served, next);
    this.served = next;
    for (const name of [...diff.removed, ...diff.changed, ...diff.added]) {
      this.routers.delete(name);
      const state = states[name];
      if (state) this.states.set(name, state);
      else this.states.delete(name);
    }
    if (diff.removed.length > 0) {
      await applyObjects(this.client, next.environment, [], {
        scope: diff.removed,
        ...(this.options.concurrency ? { concurrency: this.options.concurrency } : {}),
        onProgress: (line) => this.say(line),
      });
    }
    const applied = [...diff.added, ...diff.changed];
    if (applied.length > 0) await this.apply({ services: applied });
    if (this.leading) {
      // The autoscalers follow the workers of the new commit.
      await Promise.all(this.autoscalers.splice(0).map((a) => a.stop()));
      this.startAutoscalers();
    }
  }

  get namespace(): string {
    return this.fleet.environment.namespace;
  }

  private say(line: string): void {
    this.options.onProgress?.(line);
  }

  private unit(name: string): Unit {
    const unit = this.fleet.units.find((u) => u.name === name);
    if (!unit) {
      throw new SwitchyardError('SWY_SPEC_SERVICE_NOT_FOUND', {
        message: `The service ${name} is not part of environment ${this.fleet.environment.name}`,
        hint: `Use one of: ${this.fleet.units.map((u) => u.name).join(', ')}.`,
        details: { service: name },
      });
    }
    return unit;
  }

  private spec(name: string): Service {
    const unit = this.unit(name);
    if (unit.kind !== 'Service') {
      throw new SwitchyardError('SWY_SPEC_SERVICE_NOT_FOUND', {
        message: `${name} is a worker, not a service with tracks and a router`,
        details: { service: name },
      });
    }
    return unit;
  }

  /** Every unit (or the named ones) rendered with the desired state. */
  render(services?: readonly string[]): RenderedUnit[] {
    const units = services ? services.map((s) => this.unit(s)) : this.fleet.units;
    return units.map((u) => renderUnit(u, this.fleet.environment, this.states.get(u.name)));
  }

  /** Checks (once per runtime) that the context reaches this environment's cluster; writes nothing. */
  async verifyCluster(): Promise<ClusterCheck> {
    this.verified ??= await verifyCluster(this.client, this.fleet.environment);
    return this.verified;
  }

  /** Render, (dry-run) apply, prune and wait for the rollout. */
  async apply(options: KubernetesApplyOptions = {}): Promise<ApplyResult> {
    const rendered = this.render(options.services);
    const objects = rendered.flatMap((u) => u.objects);
    const scope = options.services ? rendered.map((u) => u.unit.name) : undefined;
    const result = await applyObjects(this.client, this.fleet.environment, objects, {
      ...(options.dryRun !== undefined ? { dryRun: options.dryRun } : {}),
      ...(options.prune !== undefined ? { prune: options.prune } : {}),
      ...(scope ? { scope } : {}),
      ...(this.options.concurrency ? { concurrency: this.options.concurrency } : {}),
      onProgress: (line) => this.say(line),
    });
    this.verified ??= result.cluster;
    if (!result.dryRun && options.wait !== false) await this.waitFor(objects, scope);
    return result;
  }

  private async waitFor(objects: readonly KubeObject[], scope: readonly string[] | undefined): Promise<void> {
    const deployments = objects.filter(isDeployment).map((d) => d.metadata.name);
    await waitForRollout(
      this.client,
      this.namespace,
      inventorySelector(this.fleet.environment.name, scope),
      deployments,
      {
        ...this.options.wait,
        onProgress: (line) => this.say(line),
        pods: () => this.cachedPods(),
      },
    );
  }

  /** The pods the live cache holds, while it runs. */
  private cachedPods(): readonly LivePod[] | undefined {
    return this.live?.running ? this.live.pods.cache.items() : undefined;
  }

  /** Waits until every Deployment of the fleet (or of the named units) has rolled out. */
  async waitForRollout(services?: readonly string[]): Promise<void> {
    const rendered = this.render(services);
    await this.waitFor(
      rendered.flatMap((u) => u.objects),
      services ? rendered.map((u) => u.unit.name) : undefined,
    );
  }

  /**
   * Reads the desired state from the cluster: each track's version (its Deployment's version
   * label) and replicas, and each router's split (its ConfigMap's map files). Units not
   * deployed yet keep their spec.
   */
  async load(): Promise<void> {
    const [deployments, configMaps] = this.live?.running
      ? [this.live.deployments.cache.items(), this.live.configMaps.cache.items()]
      : await Promise.all([this.list<LiveDeployment>('Deployment'), this.list<LiveConfigMap>('ConfigMap')]);
    for (const unit of this.fleet.units) {
      if (unit.kind !== 'Service') continue;
      this.states.set(unit.name, stateOnCluster(unit, deployments, configMaps));
    }
  }

  private async list<T extends KubeObject>(kind: string): Promise<T[]> {
    const info = KINDS.find((i) => i.kind === kind) as (typeof KINDS)[number];
    return (await listAll(
      this.client,
      collectionPath(info, this.namespace),
      inventorySelector(this.fleet.environment.name),
    )) as T[];
  }

  /** The fleet's Deployments and Pods: from the watched cache once started, else read once. */
  private async readLive(): Promise<LiveFleet> {
    if (this.live?.running) return this.live.fleet();
    const [deployments, pods] = await Promise.all([this.list<LiveDeployment>('Deployment'), this.listPods()]);
    return { deployments, pods };
  }

  private async listPods(): Promise<LivePod[]> {
    return (await listAll(
      this.client,
      `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods`,
      inventorySelector(this.fleet.environment.name),
    )) as LivePod[];
  }

  // ---------------------------------------------------------------- Runtime

  /**
   * Checks that the context reaches this environment's cluster (a server pointed at another
   * environment's cluster refuses to start), then lists and watches the namespace's
   * Deployments, Pods and ConfigMaps and reads the desired state from them; the store's copy
   * is not needed here.
   */
  async start(): Promise<void> {
    await this.verifyCluster();
    if (!this.live) {
      const live = new LiveCache(this.client, {
        namespace: this.namespace,
        labelSelector: inventorySelector(this.fleet.environment.name),
        ...(this.options.watchTimeoutSeconds ? { timeoutSeconds: this.options.watchTimeoutSeconds } : {}),
        onError: (kind, err) =>
          this.say(`⚠ watch of ${kind}s in ${this.namespace}: ${err instanceof Error ? err.message : String(err)}`),
        onChange: () => this.changes.emit(),
      });
      await live.start();
      this.live = live;
    }
    await this.load();
  }

  onChange(listener: () => void): () => void {
    return this.changes.subscribe(listener);
  }

  /** Nothing runs on this machine: the cluster keeps running. */
  stopAtOnce(): void {}

  async stop(): Promise<void> {
    await this.follow();
    await this.options.workers?.depth?.close?.();
    await this.live?.stop();
    this.live = undefined;
    this.close();
  }

  /**
   * Takes the desired state from the cluster as it is now (another replica may have led until
   * now), then drives each worker class's Deployment scale from its queue's depth (workers
   * scaled by KEDA are left to it).
   */
  async lead(): Promise<void> {
    if (this.leading) return;
    await this.load();
    this.startAutoscalers();
    this.scheduleFloors.start();
    this.leading = true;
  }

  /** One autoscaler per class of every worker KEDA does not scale. */
  private startAutoscalers(): void {
    const workers = this.fleet.units.filter((u): u is Worker => u.kind === 'Worker' && !u.scaling.keda);
    this.autoscalers.push(
      ...workerAutoscalers(workers, this.options.workers, (w, c) => this.scaleTarget(w.name, c.name)),
    );
    for (const scaler of this.autoscalers) scaler.start();
  }

  async follow(): Promise<void> {
    this.leading = false;
    await this.scheduleFloors.stop();
    await Promise.all(this.autoscalers.splice(0).map((a) => a.stop()));
  }

  /** What the status cache's informers did since start() (lists, watches, events, errors); undefined when not started. */
  watchCounts(): InformerCounts | undefined {
    return this.live?.counts();
  }

  /**
   * A service as status shows it. The leading replica shows its own desired state (what it
   * applied); another replica shows what the cluster's objects say, as the leader left them.
   */
  private shown(live: LiveFleet): (name: string) => { service: Service; routing: RoutingState } {
    const cache = this.live;
    if (this.leading || !cache?.running)
      return (name) => ({ service: this.service(name), routing: this.routing(name) });
    const configMaps = cache.configMaps.cache.items();
    return (name) => {
      const state = stateOnCluster(this.spec(name), live.deployments, configMaps);
      return { service: withState(this.spec(name), state), routing: state.routing ?? initialRouting(this.spec(name)) };
    };
  }

  async status(): Promise<ServiceStatus[]> {
    const live = await this.readLive();
    const shown = this.shown(live);
    return this.fleet.units
      .filter((u): u is Service => u.kind === 'Service')
      .map((u) => {
        const { service, routing } = shown(u.name);
        return serviceStatus(service, routing, live, this.fleet.environment.cluster?.context);
      });
  }

  async workerStatus(): Promise<WorkerClassStatus[]> {
    const live = await this.readLive();
    return this.fleet.units.filter((u): u is Worker => u.kind === 'Worker').flatMap((w) => workerStatus(w, live));
  }

  async trackStatus(name: string, track: string): Promise<TrackStatus> {
    const live = await this.readLive();
    const { service, routing } = this.shown(live)(name);
    const found = serviceStatus(service, routing, live).tracks.find((t) => t.track === track);
    if (!found) throw this.noTrack(service, track);
    return found;
  }

  /** The service's router pods, driven as one router. */
  router(name: string): RouterPods {
    this.spec(name);
    let router = this.routers.get(name);
    if (!router) {
      router = new RouterPods({
        client: this.client,
        service: () => this.service(name),
        routing: () => this.routing(name),
        save: (routing) => this.update(name, { ...this.desiredState(name), routing }, false),
        say: (line) => this.say(line),
        // The live cache watches the environment's namespace: a service elsewhere lists its own.
        pods: () => (this.spec(name).namespace === this.namespace ? this.cachedPods() : undefined),
      });
      this.routers.set(name, router);
    }
    return router;
  }

  // ---------------------------------------------------------------- ReleaseTarget (the release engine's part)

  /** The service as it runs: its spec with the versions and replicas its tracks have now. */
  service(name: string): Service {
    return withState(this.spec(name), this.states.get(name));
  }

  desiredState(name: string): UnitState {
    const service = this.service(name);
    const floor = this.states.get(name)?.floor;
    return {
      tracks: Object.fromEntries(service.tracks.map((t) => [t.name, { version: t.version, replicas: t.replicas }])),
      routing: this.routing(name),
      ...(floor !== undefined ? { floor } : {}),
    };
  }

  /** The floor is part of the unit's state: every later apply renders it, until it is let go. */
  async setFloor(name: string, floor: number | undefined): Promise<void> {
    const { floor: was, ...state } = this.desiredState(name);
    if (was === floor) return;
    await this.update(name, floor === undefined ? state : { ...state, floor }, false);
  }

  current(name: string): { versions: Record<string, string>; routing: RoutingState } {
    const service = this.service(name);
    return {
      versions: Object.fromEntries(service.tracks.map((t) => [t.name, t.version])),
      routing: this.routing(name),
    };
  }

  private routing(name: string): RoutingState {
    return this.states.get(name)?.routing ?? initialRouting(this.spec(name));
  }

  /** Any valid image tag may run: the registry is not reachable from here to ask. */
  async checkVersion(name: string, version: string): Promise<void> {
    this.spec(name);
    if (!IMAGE_TAG.test(version)) {
      throw new SwitchyardError('SWY_RELEASE_VERSION_UNKNOWN', {
        message: `${version} cannot be an image tag of ${name} (letters, digits, _ . - and at most 128 characters)`,
        details: { service: name, version },
      });
    }
  }

  /** Applies the service with one track at a new version and waits for that rollout. */
  async setTrack(name: string, track: string, version: string): Promise<void> {
    await this.updateTrack(name, track, { version });
    await this.untilOnly(name, track, version);
    this.say(`${name}: track ${track} runs ${version}`);
  }

  /**
   * Until every pod of the track runs `version`: a replaced pod still answers the connections
   * routers keep open to it while it drains, so a track counts as changed once those are gone
   * too (a rollback's traffic may return to it then). Waits at most the drain time and 30 s more.
   */
  private async untilOnly(name: string, track: string, version: string): Promise<void> {
    const service = this.spec(name);
    const deadline = Date.now() + (service.terminationGraceSeconds + 30) * 1000;
    for (;;) {
      const others = (await this.trackPods(name, track)).filter(
        (p) => p.metadata.labels?.[LABEL.version] !== version,
      ).length;
      if (others === 0) return;
      if (Date.now() > deadline) {
        this.say(`! ${name}: ${others} pod(s) of track ${track} still run another version than ${version}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** A track's pods: from the watched cache once started (no request), else listed. */
  private async trackPods(name: string, track: string): Promise<LivePod[]> {
    const matches = (p: LivePod) =>
      p.metadata.labels?.[LABEL.service] === name && p.metadata.labels[LABEL.track] === track;
    if (this.live?.running) return this.live.pods.cache.items().filter(matches);
    const labelSelector = `${LABEL.service}=${name},${LABEL.track}=${track}`;
    const pods = await this.client.request<{ items: LivePod[] }>(
      'GET',
      `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods`,
      { query: { labelSelector } },
    );
    return pods.items;
  }

  /** A track's version and/or replica count, kept in the desired state so the next apply keeps it; waits for the rollout. */
  async updateTrack(name: string, track: string, change: TrackChange): Promise<void> {
    if (change.version !== undefined) await this.checkVersion(name, change.version);
    const previous = this.desiredState(name);
    const current = previous.tracks?.[track];
    if (!current) throw this.noTrack(this.service(name), track);
    const next = {
      ...current,
      ...(change.version !== undefined ? { version: change.version } : {}),
      ...(change.replicas !== undefined ? { replicas: change.replicas } : {}),
    };
    await this.update(name, { ...previous, tracks: { ...previous.tracks, [track]: next } }, true);
  }

  private noTrack(service: Service, track: string): SwitchyardError {
    return new SwitchyardError('SWY_SPEC_TRACK_NOT_FOUND', {
      message: `${service.name} has no track ${track}`,
      hint: `Use one of: ${service.tracks.map((t) => t.name).join(', ')}.`,
      details: { service: service.name, track },
    });
  }

  setShare(name: string, group: string, share: number): Promise<void> {
    return this.router(name).setShare(group, share);
  }

  setLegacyShare(name: string, share: number): Promise<void> {
    return this.router(name).setLegacyShare(share);
  }

  routeGroup(name: string, group: string, track: string): Promise<void> {
    return this.router(name).routeGroup(group, track);
  }

  /** Applies one unit rendered with `state`; the cache follows only once the cluster took it. */
  private async update(name: string, state: UnitState, wait: boolean): Promise<void> {
    const unit = this.unit(name);
    const rendered = renderUnit(unit, this.fleet.environment, state);
    await applyObjects(this.client, this.fleet.environment, rendered.objects, {
      scope: [name],
      ...(this.options.concurrency ? { concurrency: this.options.concurrency } : {}),
      onProgress: (line) => this.say(line),
    });
    this.states.set(name, state);
    if (wait) await this.waitFor(rendered.objects, [name]);
  }

  // ---------------------------------------------------------------- endpoints and scaling

  /** Ready endpoints (`ip:port`) of each track of a service, from the EndpointSlices. */
  async endpoints(name: string): Promise<Record<string, string[]>> {
    const service = this.spec(name);
    const byService = await readyEndpoints(
      this.client,
      this.namespace,
      service.tracks.map((t) => trackObjectName(name, t.name)),
    );
    return Object.fromEntries(service.tracks.map((t) => [t.name, byService[trackObjectName(name, t.name)] ?? []]));
  }

  /** The worker SDK autoscaler's ScaleTarget for one class of a worker (its Deployment's scale subresource). */
  scaleTarget(worker: string, workerClass: 'normal' | 'fallback' = 'normal'): DeploymentScaleTarget {
    const unit = this.unit(worker);
    if (unit.kind !== 'Worker' || (workerClass === 'fallback' && !unit.fallback)) {
      throw new SwitchyardError('SWY_SPEC_SERVICE_NOT_FOUND', {
        message: `${worker} is not a worker with a ${workerClass} class`,
        details: { service: worker, workerClass },
      });
    }
    const deployment = workerObjectName(unit as Worker, workerClass);
    return new DeploymentScaleTarget(this.client, this.namespace, deployment, {
      // The watched Deployment answers current() without a request, once started.
      replicas: () => this.live?.deployments.cache.get(deployment)?.spec.replicas,
      onScaled: (replicas) => this.say(`${worker}/${workerClass}: scaled to ${replicas} replicas`),
    });
  }

  close(): void {
    this.client.close();
  }
}

/** A service's tracks (its Deployments' versions and replicas) and routing (its router's ConfigMap), as on the cluster. */
function stateOnCluster(
  unit: Service,
  deployments: readonly LiveDeployment[],
  configMaps: readonly LiveConfigMap[],
): UnitState {
  const cm = configMaps.find((c) => c.metadata.name === routerName(unit.name));
  const routing = cm?.data ? routingFromMaps(unit, cm.data) : initialRouting(unit);
  const stable = deployments.find((d) => d.metadata.name === trackObjectName(unit.name, unit.stableTrack));
  const floor = Number(stable?.metadata.annotations?.[ANNOTATION.scheduleFloor] ?? NaN);
  return { tracks: liveTracks(unit, deployments), routing, ...(Number.isInteger(floor) ? { floor } : {}) };
}

/** The Kubernetes runtime of the fleet's environment, connected through the kubeconfig ($KUBECONFIG, then ~/.kube/config); sends nothing yet. */
export function createRuntime(
  fleet: Fleet,
  options: RuntimeOptions & Pick<KubernetesRuntimeOptions, 'kubeconfig' | 'context'>,
): Promise<KubernetesRuntime> {
  return KubernetesRuntime.connect({
    fleet,
    ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}),
    ...(options.context ? { context: options.context } : {}),
    ...(options.workers ? { workers: options.workers } : {}),
    onProgress: (line) => options.onEvent?.({ type: 'progress', line }),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
}
