import { parseCpu, parseDuration, parseMemory } from '@switchyard/worker/units';
import type { Issue } from '../errors/index.js';
import { DEFAULTS } from './defaults.js';
import { at } from './issues.js';
import type {
  Autoscaling,
  Environment,
  Gate,
  Legacy,
  NodePool,
  Probe,
  ReleasePolicy,
  Resources,
  Service,
  Stage,
  Track,
  Traffic,
  TrafficGroup,
  UserKey,
  Worker,
  WorkerClass,
} from './model.js';
import { isPlainObject, type Layer } from './overlay.js';
import type {
  GateSpec,
  NodePoolSpec,
  ProbeSpec,
  ResourcesSpec,
  ServiceSpec,
  StageSpec,
  WorkerClassSpec,
  WorkerSpec,
} from './schema.js';
import type { DocPath } from './source.js';

/** Names Switchyard gives its own objects next to the tracks (`<service>-router`…). */
/** Gates that judge a track against the stable one: a migration's stages judge the stable track itself. */
const COMPARED_WITH_STABLE: ReadonlySet<Gate['metric']> = new Set([
  'errors-vs-stable',
  'latency-vs-stable',
  'error-ratio-vs-stable',
]);

const RESERVED_TRACK_NAMES: ReadonlySet<string> = new Set(['router', 'fallback', 'legacy', 'stable', 'canary']);

/** Collects issues against the layers of one unit, so each lands in the right file. */
class Problems {
  readonly list: Issue[] = [];
  constructor(private readonly layers: readonly Layer[]) {}
  add(path: DocPath, code: string, message: string, hint: string): void {
    this.list.push(at(this.layers, path, { code, message, hint }));
  }
}

export type Resolved<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

function finish<T>(problems: Problems, build: () => T): Resolved<T> {
  return problems.list.length > 0 ? { ok: false, issues: problems.list } : { ok: true, value: build() };
}

export function resolveResources(spec: ResourcesSpec): Resources {
  const cpuMillis = parseCpu(spec.cpu) as number;
  const memoryBytes = parseMemory(spec.memory) as number;
  return {
    cpuMillis,
    memoryBytes,
    cpuLimitMillis:
      spec.limits?.cpu !== undefined ? (parseCpu(spec.limits.cpu) as number) : cpuMillis * DEFAULTS.cpuLimitFactor,
    memoryLimitBytes:
      spec.limits?.memory !== undefined
        ? (parseMemory(spec.limits.memory) as number)
        : memoryBytes * DEFAULTS.memoryLimitFactor,
  };
}

function checkLimits(problems: Problems, path: DocPath, r: Resources): void {
  if (r.cpuLimitMillis < r.cpuMillis) {
    problems.add(
      [...path, 'limits', 'cpu'],
      'limit_below_request',
      'cpu limit is lower than the cpu request',
      'Raise limits.cpu to at least cpu, or lower cpu.',
    );
  }
  if (r.memoryLimitBytes < r.memoryBytes) {
    problems.add(
      [...path, 'limits', 'memory'],
      'limit_below_request',
      'memory limit is lower than the memory request',
      'Raise limits.memory to at least memory, or lower memory.',
    );
  }
}

function resolveNodePool(
  spec: NodePoolSpec | undefined,
  fallback: NodePool['capacity'] = DEFAULTS.nodePoolCapacity,
): NodePool {
  if (!spec) return { capacity: fallback };
  return {
    capacity: spec.capacity,
    ...(spec.class ? { class: spec.class } : {}),
    ...(spec.name ? { name: spec.name } : {}),
  };
}

function resolveProbe(spec: ProbeSpec | undefined, port: number): Probe | undefined {
  if (!spec) return undefined;
  const kind = spec.path !== undefined ? 'http' : spec.exec !== undefined ? 'exec' : 'tcp';
  return {
    kind,
    ...(spec.path !== undefined ? { path: spec.path } : {}),
    ...(spec.exec !== undefined ? { exec: spec.exec } : {}),
    port: spec.port ?? port,
    periodSeconds: spec.periodSeconds,
    timeoutSeconds: spec.timeoutSeconds,
    failureThreshold: spec.failureThreshold,
    initialDelaySeconds: spec.initialDelaySeconds,
  };
}

function checkRunnable(
  problems: Problems,
  spec: { image?: string | undefined; command?: string[] | undefined },
  env: Environment,
): void {
  if (env.runtime === 'kubernetes' && spec.image === undefined) {
    problems.add(
      ['image'],
      'required',
      `image is required: environment ${env.name} runs on Kubernetes`,
      'Add image: <registry>/<repository> (without a tag; the version is the tag).',
    );
  }
  if (env.runtime === 'local' && spec.command === undefined) {
    problems.add(
      ['command'],
      'required',
      `command is required: environment ${env.name} runs on the local runtime`,
      'Add command: [program, args…] that starts one replica; it reads its port from $PORT.',
    );
  }
}

function commonFields(spec: ServiceSpec | WorkerSpec, env: Environment, file: string) {
  return {
    name: spec.name,
    env: env.name,
    namespace: env.namespace,
    file,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    team: spec.team,
    ...(spec.product !== undefined ? { product: spec.product } : {}),
    ...(spec.costCenter !== undefined ? { costCenter: spec.costCenter } : {}),
    ...(spec.image !== undefined
      ? { image: env.registry && !spec.image.includes('/') ? `${env.registry}/${spec.image}` : spec.image }
      : {}),
    ...(spec.command !== undefined ? { command: spec.command } : {}),
    version: spec.version,
    envVars: spec.env ?? {},
    labels: spec.labels ?? {},
    exemptions: spec.policy?.exempt ?? {},
    runAs: spec.runAs ? { user: spec.runAs.user, group: spec.runAs.group ?? spec.runAs.user } : { ...DEFAULTS.runAs },
  };
}

/**
 * Fills a service file's omitted tracks and groups with their defaults before overlays
 * merge onto it, so that an overlay changing one default track keeps the others.
 */
export function withDefaultTracks(value: Record<string, unknown>): Record<string, unknown> {
  if (value.kind !== 'Service') return value;
  const tracks =
    value.tracks === undefined
      ? Object.fromEntries(DEFAULTS.tracks.map((t) => [t, { replicas: DEFAULTS.trackReplicas }]))
      : value.tracks;
  if (!isPlainObject(tracks) || (value.traffic !== undefined && !isPlainObject(value.traffic)))
    return { ...value, tracks };
  const traffic = value.traffic ?? {};
  if (traffic.groups !== undefined) return { ...value, tracks };
  return { ...value, tracks, traffic: { ...traffic, groups: defaultGroups(new Set(Object.keys(tracks))) } };
}

/** Default groups: Bitmovin's, keeping only those whose tracks exist. */
function defaultGroups(
  trackNames: ReadonlySet<string>,
): Record<string, { track?: string; canaryTrack?: string; share?: number; canary?: boolean }> {
  const out: Record<string, { track?: string; canaryTrack?: string; share?: number; canary?: boolean }> = {};
  for (const [name, group] of Object.entries(DEFAULTS.groups)) {
    const target = 'track' in group ? group.track : 'canaryTrack' in group ? group.canaryTrack : undefined;
    if (target === undefined || trackNames.has(target)) out[name] = { ...group };
  }
  return out;
}

function resolveGate(g: GateSpec): Gate {
  switch (g.metric) {
    case 'response-time':
      return { metric: 'response-time', maxMs: parseDuration(g.max) as number };
    case 'prometheus':
      return {
        metric: 'prometheus',
        name: g.name,
        query: g.query,
        ...(g.max !== undefined ? { max: g.max } : {}),
        ...(g.min !== undefined ? { min: g.min } : {}),
      };
    case 'errors-vs-stable':
      return {
        metric: 'errors-vs-stable',
        falseRollback: g.falseRollback,
        missedRegression: g.missedRegression,
        regression: { factor: g.regression.factor, margin: g.regression.margin },
      };
    case 'latency-vs-stable':
      return {
        metric: 'latency-vs-stable',
        compare: g.compare,
        falseRollback: g.falseRollback,
        missedRegression: g.missedRegression,
        regression: { factor: g.regression.factor, margin: g.regression.margin },
      };
    default:
      return { metric: g.metric, max: g.max };
  }
}

/** One stage per track, in order: the canary groups of each track get their share; a pinned (internal) track waits for a person. */
function derivedPlan(tracks: readonly Track[], groups: readonly TrafficGroup[], gates: readonly Gate[]): Stage[] {
  const durationMs = parseDuration(DEFAULTS.release.stageDuration) as number;
  return tracks.map((track) => ({
    name: track.name,
    track: track.name,
    shares: Object.fromEntries(
      groups.filter((g) => g.canaryTrack === track.name && g.canaryAllowed).map((g) => [g.name, g.share]),
    ),
    durationMs,
    approval: !track.stable && groups.some((g) => g.pinnedTrack === track.name),
    gates,
  }));
}

function migrationPlan(gates: readonly Gate[]): Stage[] {
  const durationMs = parseDuration(DEFAULTS.release.stageDuration) as number;
  return DEFAULTS.release.migrationLegacyShares.map((legacyShare) => ({
    name: `migrate-${100 - legacyShare}`,
    shares: {},
    legacyShare,
    durationMs,
    approval: false,
    gates,
  }));
}

function resolveStages(
  problems: Problems,
  path: (string | number)[],
  specs: readonly StageSpec[],
  context: {
    tracks: ReadonlySet<string>;
    stable: string;
    groups: readonly TrafficGroup[];
    hasLegacy: boolean;
    hasPrometheus: boolean;
    gates: readonly Gate[];
  },
): Stage[] {
  const names = new Set<string>();
  return specs.map((st, i) => {
    const at = [...path, i];
    if (names.has(st.name))
      problems.add(
        [...at, 'name'],
        'duplicate_stage',
        `stage name ${st.name} is used twice in this plan`,
        'Give every stage of a plan its own name.',
      );
    names.add(st.name);
    if (st.track !== undefined && !context.tracks.has(st.track)) {
      problems.add(
        [...at, 'track'],
        'unknown_track',
        `stage ${st.name} deploys to track "${st.track}", which does not exist`,
        `Use one of: ${[...context.tracks].join(', ')}.`,
      );
    }
    for (const group of Object.keys(st.shares ?? {})) {
      const g = context.groups.find((x) => x.name === group);
      if (!g)
        problems.add(
          [...at, 'shares', group],
          'unknown_group',
          `stage ${st.name} sets a share for group "${group}", which does not exist`,
          `Use one of: ${context.groups
            .filter((x) => x.canaryTrack)
            .map((x) => x.name)
            .join(', ')}.`,
        );
      else if (!g.canaryAllowed || !g.canaryTrack)
        problems.add(
          [...at, 'shares', group],
          'never_canary',
          `stage ${st.name} sets a share for group ${group}, which never sees a canary`,
          'Remove the share: pinned and never-canary groups keep their track.',
        );
    }
    if (st.legacyShare !== undefined && !context.hasLegacy) {
      problems.add(
        [...at, 'legacyShare'],
        'no_legacy',
        `stage ${st.name} sets legacyShare but the service has no legacy backend`,
        'Add legacy: { address: host:port } or remove legacyShare.',
      );
    }
    if (st.track === undefined && st.shares === undefined && st.legacyShare === undefined) {
      problems.add(
        at,
        'empty_stage',
        `stage ${st.name} changes nothing`,
        'Give the stage a track, shares or a legacyShare.',
      );
    }
    const gates = st.gates ? st.gates.map(resolveGate) : context.gates;
    if (!context.hasPrometheus && gates.some((g) => g.metric === 'prometheus')) {
      problems.add(
        st.gates ? [...at, 'gates'] : ['release', 'gates'],
        'no_prometheus',
        `stage ${st.name} has a prometheus gate but release.prometheus.url is not set`,
        'Set release.prometheus.url to your Prometheus, e.g. http://prometheus:9090.',
      );
    }
    return {
      name: st.name,
      ...(st.track !== undefined ? { track: st.track } : {}),
      shares: st.shares ?? {},
      ...(st.legacyShare !== undefined ? { legacyShare: st.legacyShare } : {}),
      durationMs: parseDuration(st.duration) as number,
      approval: st.approval,
      gates,
    };
  });
}

function resolveRelease(
  problems: Problems,
  spec: ServiceSpec,
  tracks: readonly Track[],
  groups: readonly TrafficGroup[],
  stable: string,
): ReleasePolicy {
  const r = spec.release;
  const gates = r?.gates ? r.gates.map(resolveGate) : DEFAULTS.release.gates.map((g) => structuredClone(g) as Gate);
  const context = {
    tracks: new Set(tracks.map((t) => t.name)),
    stable,
    groups,
    hasLegacy: spec.legacy !== undefined,
    hasPrometheus: r?.prometheus !== undefined,
    gates,
  };
  const plans: Record<string, readonly Stage[]> = {
    default: r?.stages
      ? resolveStages(problems, ['release', 'stages'], r.stages, context)
      : derivedPlan(tracks, groups, gates),
  };
  // A migration has no canary track: the stable track is all there is to judge.
  if (spec.legacy) plans.migration = migrationPlan(gates.filter((g) => !COMPARED_WITH_STABLE.has(g.metric)));
  for (const [name, stages] of Object.entries(r?.plans ?? {})) {
    if (name === 'default' || name === 'rollback') {
      problems.add(
        ['release', 'plans', name],
        'reserved_plan',
        `plan name ${name} is reserved`,
        'Put the default plan under release.stages; name other plans differently.',
      );
    }
    plans[name] = resolveStages(problems, ['release', 'plans', name], stages, context);
  }
  return {
    plans,
    minRequests: r?.minRequests ?? DEFAULTS.release.minRequests,
    intervalMs: parseDuration(r?.interval ?? DEFAULTS.release.interval) as number,
    inconclusiveAfterMs: parseDuration(r?.inconclusiveAfter ?? DEFAULTS.release.inconclusiveAfter) as number,
    ...(r?.prometheus ? { prometheusUrl: r.prometheus.url } : {}),
  };
}

export function resolveService(
  spec: ServiceSpec,
  env: Environment,
  layers: readonly Layer[],
  file: string,
): Resolved<Service> {
  const problems = new Problems(layers);
  checkRunnable(problems, spec, env);

  const trackSpecs: Record<string, { replicas: number; version?: string | undefined }> =
    spec.tracks ?? Object.fromEntries(DEFAULTS.tracks.map((t) => [t, { replicas: DEFAULTS.trackReplicas }]));
  const trackNames = Object.keys(trackSpecs);
  if (trackNames.length === 0) {
    problems.add(
      ['tracks'],
      'no_tracks',
      'tracks is empty',
      'Declare at least one track, e.g. production: { replicas: 2 }.',
    );
  }
  for (const [name, track] of Object.entries(trackSpecs)) {
    if (RESERVED_TRACK_NAMES.has(name)) {
      problems.add(
        ['tracks', name],
        'reserved_track_name',
        `track name "${name}" is reserved`,
        `Rename the track: ${[...RESERVED_TRACK_NAMES].join(', ')} name Switchyard's own objects.`,
      );
    }
    if (track.replicas < spec.minReplicasPerTrack) {
      problems.add(
        ['tracks', name, 'replicas'],
        'too_few_replicas',
        `replicas must be ≥ ${spec.minReplicasPerTrack} (got ${track.replicas})`,
        `Run at least ${spec.minReplicasPerTrack} replicas per track so one can restart while the other serves; lower minReplicasPerTrack only for throwaway environments.`,
      );
    }
  }
  const trackSet = new Set(trackNames);
  const stableTrack = spec.traffic?.stableTrack ?? trackNames[trackNames.length - 1] ?? 'production';
  if (spec.traffic?.stableTrack !== undefined && !trackSet.has(stableTrack)) {
    problems.add(
      ['traffic', 'stableTrack'],
      'unknown_track',
      `stableTrack "${stableTrack}" is not a track of ${spec.name}`,
      `Use one of: ${trackNames.join(', ')}.`,
    );
  }

  const groupSpecs = spec.traffic?.groups ?? defaultGroups(trackSet);
  const groups: TrafficGroup[] = [];
  for (const name of Object.keys(groupSpecs).sort()) {
    const g = groupSpecs[name] ?? {};
    const path = ['traffic', 'groups', name];
    if (g.track !== undefined && g.canaryTrack !== undefined) {
      problems.add(
        path,
        'conflicting_routing',
        `group ${name} sets both track and canaryTrack`,
        'Use track to pin the whole group to one track, or canaryTrack + share to split it; not both.',
      );
    }
    if (g.track !== undefined && !trackSet.has(g.track)) {
      problems.add(
        [...path, 'track'],
        'unknown_track',
        `group ${name} is routed to track "${g.track}", which does not exist`,
        `Use one of: ${trackNames.join(', ')}, or add the track under tracks.`,
      );
    }
    if (g.canaryTrack !== undefined && !trackSet.has(g.canaryTrack)) {
      problems.add(
        [...path, 'canaryTrack'],
        'unknown_track',
        `group ${name} sends its canary share to track "${g.canaryTrack}", which does not exist`,
        `Use one of: ${trackNames.join(', ')}, or add the track under tracks.`,
      );
    } else if (g.canaryTrack !== undefined && g.canaryTrack === stableTrack) {
      problems.add(
        [...path, 'canaryTrack'],
        'canary_is_stable',
        `group ${name} uses the stable track ${stableTrack} as its canary track`,
        'A canary track must differ from the stable track: pick another track.',
      );
    }
    if (g.canary === false && (g.canaryTrack !== undefined || g.share !== undefined || g.track !== undefined)) {
      problems.add(
        path,
        'never_canary_routed',
        `group ${name} never sees a canary (canary: false) but sets ${g.track !== undefined ? 'track' : g.canaryTrack !== undefined ? 'canaryTrack' : 'share'}`,
        'Remove canary: false to let this group see canaries, or remove track, canaryTrack and share.',
      );
    }
    if (g.share !== undefined && g.canaryTrack === undefined && g.canary !== false) {
      problems.add(
        [...path, 'share'],
        'share_without_track',
        `group ${name} sets a share but no canaryTrack`,
        'Add canaryTrack: <track> to say where the share goes.',
      );
    }
    groups.push({
      name,
      ...(g.track !== undefined ? { pinnedTrack: g.track } : {}),
      ...(g.canaryTrack !== undefined ? { canaryTrack: g.canaryTrack } : {}),
      share: g.canaryTrack !== undefined ? (g.share ?? DEFAULTS.canaryShare) : 0,
      canaryAllowed: g.canary !== false && g.track === undefined,
    });
  }
  if (groups.length === 0) {
    groups.push({ name: 'default', share: 0, canaryAllowed: false });
  }
  const groupNames = new Set(groups.map((g) => g.name));
  const defaultGroup =
    spec.traffic?.defaultGroup ??
    (groupNames.has(DEFAULTS.defaultGroup) ? DEFAULTS.defaultGroup : (groups[0] as TrafficGroup).name);
  if (!groupNames.has(defaultGroup)) {
    problems.add(
      ['traffic', 'defaultGroup'],
      'unknown_group',
      `defaultGroup "${defaultGroup}" is not a traffic group of ${spec.name}`,
      `Use one of: ${[...groupNames].join(', ')}.`,
    );
  }
  const reached = new Set<string>([stableTrack]);
  for (const g of groups) {
    if (g.pinnedTrack) reached.add(g.pinnedTrack);
    if (g.canaryTrack) reached.add(g.canaryTrack);
  }
  for (const name of trackNames) {
    if (!reached.has(name)) {
      problems.add(
        ['tracks', name],
        'unreachable_track',
        `track ${name} receives no traffic: no group routes to it and it is not the stable track`,
        `Route a group to it (traffic.groups.<group>.track or canaryTrack: ${name}) or remove the track.`,
      );
    }
  }
  const cookie = spec.traffic?.userKey?.cookie;
  const userKey: UserKey =
    cookie !== undefined ? { cookie } : { header: spec.traffic?.userKey?.header ?? DEFAULTS.userKeyHeader };
  const groupHeader = spec.traffic?.groupHeader ?? DEFAULTS.groupHeader;
  if ('header' in userKey && userKey.header.toLowerCase() === groupHeader.toLowerCase()) {
    problems.add(
      ['traffic', 'userKey', 'header'],
      'same_header',
      'userKey.header is the same header as groupHeader',
      'The user key must identify a user, not a group: use a user-id header or a session cookie.',
    );
  }

  const resources = resolveResources(spec.resources);
  checkLimits(problems, ['resources'], resources);

  const stableReplicas = trackSpecs[stableTrack]?.replicas ?? spec.minReplicasPerTrack;
  let autoscaling: Autoscaling | undefined;
  if (spec.autoscaling) {
    const cpu = spec.autoscaling.cpu;
    const min = cpu?.min ?? stableReplicas;
    if (cpu && min > cpu.max) {
      problems.add(
        ['autoscaling', 'cpu', cpu.min !== undefined ? 'min' : 'max'],
        'min_above_max',
        `autoscaling min (${min}) is above max (${cpu.max})`,
        "Raise max or lower min (min defaults to the stable track's replicas).",
      );
    }
    if (cpu && min < spec.minReplicasPerTrack) {
      problems.add(
        ['autoscaling', 'cpu', 'min'],
        'too_few_replicas',
        `autoscaling min must be ≥ ${spec.minReplicasPerTrack} (got ${min})`,
        'Keep at least minReplicasPerTrack replicas when scaled in.',
      );
    }
    (spec.autoscaling.schedule ?? []).forEach((w, i) => {
      if (cpu && w.minReplicas > cpu.max) {
        problems.add(
          ['autoscaling', 'schedule', i, 'minReplicas'],
          'min_above_max',
          `schedule window minReplicas (${w.minReplicas}) is above autoscaling max (${cpu.max})`,
          "Raise autoscaling.cpu.max or lower the window's minReplicas.",
        );
      }
    });
    autoscaling = {
      ...(cpu ? { cpu: { targetUtilization: cpu.targetUtilization, min, max: cpu.max } } : {}),
      schedule: (spec.autoscaling.schedule ?? []).map((w, i) => ({
        name: w.name ?? `window-${i + 1}`,
        cron: w.cron,
        durationMs: parseDuration(w.duration) as number,
        minReplicas: w.minReplicas,
        timezone: w.timezone,
      })),
    };
  }

  const routerResources = spec.router?.resources
    ? resolveResources(spec.router.resources)
    : resolveResources(DEFAULTS.routerResources);
  if (spec.router?.resources) checkLimits(problems, ['router', 'resources'], routerResources);
  const legacy: Legacy | undefined = spec.legacy
    ? { address: spec.legacy.address, share: spec.legacy.share, tls: spec.legacy.tls }
    : undefined;

  const tracks: Track[] = trackNames.map((name) => ({
    name,
    replicas: trackSpecs[name]?.replicas ?? DEFAULTS.trackReplicas,
    version: trackSpecs[name]?.version ?? spec.version,
    stable: name === stableTrack,
  }));
  const traffic: Traffic = { groupHeader, defaultGroup, userKey, groups };
  const release = resolveRelease(problems, spec, tracks, groups, stableTrack);

  return finish(problems, () => ({
    kind: 'Service' as const,
    ...commonFields(spec, env, file),
    nodePool: resolveNodePool(spec.nodePool),
    terminationGraceSeconds: spec.terminationGraceSeconds ?? DEFAULTS.terminationGraceSeconds,
    port: spec.port,
    resources,
    probes: {
      ...(spec.probes?.readiness ? { readiness: resolveProbe(spec.probes.readiness, spec.port) as Probe } : {}),
      ...(spec.probes?.liveness ? { liveness: resolveProbe(spec.probes.liveness, spec.port) as Probe } : {}),
      ...(spec.probes?.startup ? { startup: resolveProbe(spec.probes.startup, spec.port) as Probe } : {}),
    },
    minReplicasPerTrack: spec.minReplicasPerTrack,
    tracks,
    stableTrack,
    traffic,
    ...(legacy ? { legacy } : {}),
    ...(autoscaling ? { autoscaling } : {}),
    router: {
      replicas: spec.router?.replicas ?? DEFAULTS.routerReplicas,
      image: spec.router?.image ?? DEFAULTS.routerImage,
      resources: routerResources,
      nodePool: resolveNodePool(spec.router?.nodePool, 'on-demand'),
    },
    hosts: [...(spec.hosts ?? [])].sort(),
    release,
  }));
}

function resolveClass(
  problems: Problems,
  name: 'normal' | 'fallback',
  spec: WorkerClassSpec,
  queue: string,
  defaults: { min: number; max: number },
): WorkerClass {
  const resources = resolveResources({ cpu: spec.cpu, memory: spec.memory });
  const min = spec.replicas?.min ?? defaults.min;
  const max = spec.replicas?.max ?? defaults.max;
  if (min > max) {
    problems.add(
      [name, 'replicas', 'min'],
      'min_above_max',
      `${name} replicas min (${min}) is above max (${max})`,
      'Raise max or lower min.',
    );
  }
  return {
    name,
    queue,
    resources,
    timeoutMs: parseDuration(spec.timeout) as number,
    minReplicas: min,
    maxReplicas: max,
  };
}

export function resolveWorker(
  spec: WorkerSpec,
  env: Environment,
  layers: readonly Layer[],
  file: string,
): Resolved<Worker> {
  const problems = new Problems(layers);
  checkRunnable(problems, spec, env);
  const queue = {
    name: spec.queue.name,
    fallback: `${spec.queue.name}.fallback`,
    deadLetter: `${spec.queue.name}.dead`,
    prefetch: spec.queue.prefetch,
  };
  const normal = resolveClass(problems, 'normal', spec.normal, queue.name, DEFAULTS.worker.normalReplicas);
  const fallback = spec.fallback
    ? resolveClass(problems, 'fallback', spec.fallback, queue.fallback, DEFAULTS.worker.fallbackReplicas)
    : undefined;
  if (fallback) {
    const smaller = [
      fallback.resources.cpuMillis < normal.resources.cpuMillis ? 'cpu' : undefined,
      fallback.resources.memoryBytes < normal.resources.memoryBytes ? 'memory' : undefined,
      fallback.timeoutMs < normal.timeoutMs ? 'timeout' : undefined,
    ].filter((v): v is string => v !== undefined);
    for (const field of smaller) {
      problems.add(
        ['fallback', field],
        'fallback_smaller',
        `fallback ${field} is smaller than normal ${field}`,
        "The fallback class takes the tasks the normal class could not finish: give it at least the normal class's limits.",
      );
    }
    if (
      smaller.length === 0 &&
      fallback.resources.cpuMillis === normal.resources.cpuMillis &&
      fallback.resources.memoryBytes === normal.resources.memoryBytes &&
      fallback.timeoutMs === normal.timeoutMs
    ) {
      problems.add(
        ['fallback'],
        'fallback_same',
        'fallback has the same limits as normal',
        'Give the fallback class more time, memory or CPU, or remove it.',
      );
    }
  }
  const retry = {
    attempts: spec.retry?.attempts ?? DEFAULTS.worker.retry.attempts,
    initialDelayMs: parseDuration(spec.retry?.initialDelay ?? DEFAULTS.worker.retry.initialDelay) as number,
    maxDelayMs: parseDuration(spec.retry?.maxDelay ?? DEFAULTS.worker.retry.maxDelay) as number,
  };
  if (retry.initialDelayMs > retry.maxDelayMs) {
    problems.add(
      ['retry', 'initialDelay'],
      'min_above_max',
      'retry initialDelay is longer than maxDelay',
      'Make initialDelay at most maxDelay.',
    );
  }
  const longest = Math.max(normal.timeoutMs, fallback?.timeoutMs ?? 0);
  return finish(problems, () => ({
    kind: 'Worker' as const,
    ...commonFields(spec, env, file),
    nodePool: resolveNodePool(spec.nodePool),
    // Long enough for the longest task to finish after SIGTERM, plus time to hand work back.
    terminationGraceSeconds: spec.terminationGraceSeconds ?? Math.ceil(longest / 1000) + 10,
    queue,
    normal,
    ...(fallback ? { fallback } : {}),
    retry,
    scaling: {
      tasksPerReplica: spec.scaling?.tasksPerReplica ?? DEFAULTS.worker.tasksPerReplica,
      cooldownMs: parseDuration(spec.scaling?.cooldown ?? DEFAULTS.worker.cooldown) as number,
      keda: spec.scaling?.keda ?? false,
    },
    ...(spec.storage ? { storageUrl: spec.storage.url } : {}),
  }));
}
