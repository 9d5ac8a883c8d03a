import { SwitchyardError } from '../../errors/index.js';
import type { Measurement, PrometheusSource, ReleaseTarget } from '../../release/index.js';
import { isDeployment, renderUnit, routerName, trackObjectName, withState, workerObjectName, type KubeObject, type RenderedUnit, type UnitState } from '../../render/index.js';
import { basisPoints, initialRouting, MAP_FILES, validateLegacyShare, validateRoute, validateShare, type RoutingState } from '../../router/index.js';
import type { Fleet, Service, Unit, Worker } from '../../spec/index.js';
import { applyObjects, inventorySelector, listAll, type ApplyOptions, type ApplyResult } from './apply.js';
import { KubeClient, type KubeClientOptions } from './client.js';
import { DeploymentScaleTarget, readyEndpoints } from './endpoints.js';
import { verifyCluster, type ClusterCheck } from './identity.js';
import { collectionPath, KINDS } from './kinds.js';
import { routerCounters, updateRouters } from './router-pods.js';
import { waitForRollout, type WaitOptions } from './rollout.js';
import { routingFromMaps } from './routing.js';

export interface KubernetesRuntimeOptions {
  readonly fleet: Fleet;
  /** Path of the kubeconfig (default $KUBECONFIG, then ~/.kube/config). */
  readonly kubeconfig?: string;
  /** Overrides the environment's cluster.context. */
  readonly context?: string;
  /** Desired state to render with (a release's versions and routing); default: the spec alone. */
  readonly states?: Readonly<Record<string, UnitState>>;
  readonly onProgress?: (line: string) => void;
  readonly wait?: Omit<WaitOptions, 'onProgress'>;
  /** Requests in flight at once (default 32). */
  readonly concurrency?: number;
  /** Where measure() reads track counters when the routers cannot be reached. */
  readonly prometheus?: PrometheusSource;
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
 * environment's namespace, and the release engine's target (ReleaseTarget) on a cluster.
 * The cluster is the source of truth for what runs: `load()` reads track versions from the
 * Deployments' labels and the routing from the routers' ConfigMaps.
 */
export class KubernetesRuntime implements ReleaseTarget {
  private readonly states = new Map<string, UnitState>();
  private verified: ClusterCheck | undefined;

  private constructor(
    readonly client: KubeClient,
    private readonly options: KubernetesRuntimeOptions,
  ) {
    for (const [name, state] of Object.entries(options.states ?? {})) this.states.set(name, state);
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
    };
    return new KubernetesRuntime(await KubeClient.connect(clientOptions), options);
  }

  get fleet(): Fleet {
    return this.options.fleet;
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
      throw new SwitchyardError('SWY_SPEC_SERVICE_NOT_FOUND', { message: `${name} is a worker, not a service with tracks and a router`, details: { service: name } });
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
    await waitForRollout(this.client, this.namespace, inventorySelector(this.fleet.environment.name, scope), deployments, {
      ...this.options.wait,
      onProgress: (line) => this.say(line),
    });
  }

  /** Waits until every Deployment of the fleet (or of the named units) has rolled out. */
  async waitForRollout(services?: readonly string[]): Promise<void> {
    const rendered = this.render(services);
    await this.waitFor(rendered.flatMap((u) => u.objects), services ? rendered.map((u) => u.unit.name) : undefined);
  }

  /**
   * Reads the desired state from the cluster: each track's version (its Deployment's version
   * label) and replicas, and each router's split (its ConfigMap's map files). Units not
   * deployed yet keep their spec.
   */
  async load(): Promise<void> {
    const selector = inventorySelector(this.fleet.environment.name);
    const kind = (k: string) => KINDS.find((i) => i.kind === k) as (typeof KINDS)[number];
    const [deployments, configMaps] = await Promise.all([
      listAll(this.client, collectionPath(kind('Deployment'), this.namespace), selector),
      listAll(this.client, collectionPath(kind('ConfigMap'), this.namespace), selector),
    ]);
    const byName = <T extends KubeObject>(list: T[]) => new Map(list.map((o) => [o.metadata.name, o]));
    const liveDeployments = byName(deployments);
    const liveConfigMaps = byName(configMaps);
    for (const unit of this.fleet.units) {
      if (unit.kind !== 'Service') continue;
      const tracks: Record<string, { version: string; replicas: number }> = {};
      for (const track of unit.tracks) {
        const d = liveDeployments.get(trackObjectName(unit.name, track.name));
        const version = d?.metadata.labels?.['switchyard.dev/version'] ?? track.version;
        const replicas = (d?.spec as { replicas?: number } | undefined)?.replicas ?? track.replicas;
        tracks[track.name] = { version, replicas };
      }
      const cm = liveConfigMaps.get(routerName(unit.name)) as (KubeObject & { data?: Record<string, string> }) | undefined;
      const routing = cm?.data ? routingFromMaps(unit, cm.data) : initialRouting(unit);
      this.states.set(unit.name, { tracks, routing });
    }
  }

  // ---------------------------------------------------------------- ReleaseTarget

  /** The service as it runs: its spec with the versions and replicas its tracks have now. */
  service(name: string): Service {
    return withState(this.spec(name), this.states.get(name));
  }

  desiredState(name: string): UnitState {
    const service = this.service(name);
    return {
      tracks: Object.fromEntries(service.tracks.map((t) => [t.name, { version: t.version, replicas: t.replicas }])),
      routing: this.routing(name),
    };
  }

  current(name: string): { versions: Record<string, string>; routing: RoutingState } {
    const service = this.service(name);
    return { versions: Object.fromEntries(service.tracks.map((t) => [t.name, t.version])), routing: this.routing(name) };
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
    await this.checkVersion(name, version);
    const previous = this.desiredState(name);
    if (!previous.tracks?.[track]) {
      throw new SwitchyardError('SWY_SPEC_TRACK_NOT_FOUND', { message: `${name} has no track ${track}`, hint: `Use one of: ${Object.keys(previous.tracks ?? {}).join(', ')}.`, details: { service: name, track } });
    }
    await this.update(name, { ...previous, tracks: { ...previous.tracks, [track]: { ...previous.tracks[track], version } } }, true);
    this.say(`${name}: track ${track} runs ${version}`);
  }

  /** Sets the replica count of a track (kept in the desired state, so the next apply keeps it). */
  async scaleTrack(name: string, track: string, replicas: number): Promise<void> {
    const previous = this.desiredState(name);
    if (!previous.tracks?.[track]) throw new SwitchyardError('SWY_SPEC_TRACK_NOT_FOUND', { message: `${name} has no track ${track}`, details: { service: name, track } });
    await this.update(name, { ...previous, tracks: { ...previous.tracks, [track]: { ...previous.tracks[track], replicas } } }, true);
  }

  async setShare(name: string, group: string, share: number): Promise<void> {
    validateShare(this.service(name), group, share);
    const routing = this.routing(name);
    await this.route(name, { ...routing, shares: { ...routing.shares, [group]: share } }, [`set map ${MAP_FILES.shares} ${group} ${basisPoints(share)}`]);
  }

  async setLegacyShare(name: string, share: number): Promise<void> {
    validateLegacyShare(this.service(name), share);
    await this.route(name, { ...this.routing(name), legacyShare: share }, [`set map ${MAP_FILES.legacy} share ${basisPoints(share)}`]);
  }

  async routeGroup(name: string, group: string, track: string): Promise<void> {
    const service = this.service(name);
    validateRoute(service, group, track);
    const previous = this.routing(name);
    const own = service.traffic.groups.find((g) => g.name === group)?.pinnedTrack;
    const { [group]: _dropped, ...others } = previous.routes ?? {};
    const routes = track === own ? others : { ...others, [group]: track };
    const next = { shares: previous.shares, legacyShare: previous.legacyShare, ...(Object.keys(routes).length > 0 ? { routes } : {}) };
    await this.route(name, next, [`set map ${MAP_FILES.pinned} ${group} ${track}`]);
  }

  /**
   * A routing change: the router ConfigMap's map files first (what a restarted router reads),
   * then the running routers through their Runtime API where they can be reached.
   */
  private async route(name: string, routing: RoutingState, commands: readonly string[]): Promise<void> {
    await this.update(name, { ...this.desiredState(name), routing }, false);
    const service = this.service(name);
    const mapsDir = '/usr/local/etc/haproxy';
    const outcome = await updateRouters(this.client, service, commands.map((c) => c.replace(/^set map (\S+)/, `set map ${mapsDir}/$1`)));
    if (outcome.unreachable.length > 0) {
      this.say(
        `! ${name}: ${outcome.unreachable.length} router pod${outcome.unreachable.length === 1 ? '' : 's'} could not be reached through the Runtime API (${outcome.unreachable[0]?.error ?? ''}); ` +
          `ConfigMap ${routerName(name)} holds the new split and routers read it when they restart`,
      );
    }
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

  /**
   * Cumulative counters per track: from the routers' stats (pod proxy) when they answer,
   * else from Prometheus when the service names one, else none (a gate then sees no traffic).
   */
  async measure(name: string): Promise<Measurement> {
    const service = this.service(name);
    const fromRouters = await routerCounters(this.client, service).catch(() => undefined);
    if (fromRouters) return { tracks: fromRouters };
    const url = service.release.prometheusUrl;
    const prometheus = this.options.prometheus;
    if (url && prometheus) {
      const tracks: Measurement['tracks'] = {};
      for (const track of service.tracks) {
        const where = `namespace="${service.namespace}",pod=~"${routerName(name)}-.*",proxy="track_${track.name}"`;
        const q = (promql: string) => prometheus.query(url, promql).catch(() => null);
        const requests = (await q(`sum(haproxy_backend_http_responses_total{${where}})`)) ?? 0;
        const errors = ((await q(`sum(haproxy_backend_http_responses_total{${where},code="5xx"})`)) ?? 0) + ((await q(`sum(haproxy_backend_connection_errors_total{${where}})`)) ?? 0);
        const seconds = (await q(`avg(haproxy_backend_response_time_average_seconds{${where}})`)) ?? 0;
        (tracks as Record<string, { requests: number; errors: number; responseTimeMs: number }>)[track.name] = { requests, errors, responseTimeMs: seconds * 1000 };
      }
      return { tracks };
    }
    return { tracks: {} };
  }

  // ---------------------------------------------------------------- endpoints and scaling

  /** Ready endpoints (`ip:port`) of each track of a service, from the EndpointSlices. */
  async endpoints(name: string): Promise<Record<string, string[]>> {
    const service = this.spec(name);
    const byService = await readyEndpoints(this.client, this.namespace, service.tracks.map((t) => trackObjectName(name, t.name)));
    return Object.fromEntries(service.tracks.map((t) => [t.name, byService[trackObjectName(name, t.name)] ?? []]));
  }

  /** The worker SDK autoscaler's ScaleTarget for one class of a worker (its Deployment's scale subresource). */
  scaleTarget(worker: string, workerClass: 'normal' | 'fallback' = 'normal'): DeploymentScaleTarget {
    const unit = this.unit(worker);
    if (unit.kind !== 'Worker' || (workerClass === 'fallback' && !unit.fallback)) {
      throw new SwitchyardError('SWY_SPEC_SERVICE_NOT_FOUND', { message: `${worker} is not a worker with a ${workerClass} class`, details: { service: worker, workerClass } });
    }
    return new DeploymentScaleTarget(this.client, this.namespace, workerObjectName(unit as Worker, workerClass));
  }

  close(): void {
    this.client.close();
  }
}
