import { WORKER_METRICS_PORT } from '@switchyard/worker/contract';
import {
  ANNOTATION,
  LABEL,
  ROUTER_STATS_PORT,
  routerName,
  trackObjectName,
  workerObjectName,
} from '../../render/index.js';
import type { RoutingState } from '../../router/index.js';
import type { Service, Worker } from '../../spec/index.js';
import type { Leftover, ServiceStatus, TrackStatus, WorkerClassStatus } from '../port.js';
import type { LiveDeployment, LivePod } from './rollout.js';

/**
 * The fleet's status as the cluster shows it, from one read of its Deployments and Pods: a
 * pure function of those objects, so it is tested on plain data.
 */

export interface LiveFleet {
  readonly deployments: readonly LiveDeployment[];
  readonly pods: readonly LivePod[];
}

/** A pod in the words the local runtime uses for a replica. */
function podState(pod: LivePod): string {
  if (pod.metadata.deletionTimestamp) return 'stopping';
  if (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') return 'exited';
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? 'ready' : 'starting';
}

/*
 * Lookups by name and by service, built once per list of objects (a watched cache hands out
 * the same list until something changes): status of thousands of units stays linear.
 */
const byName = new WeakMap<readonly LiveDeployment[], Map<string, LiveDeployment>>();
const deploymentsByService = new WeakMap<readonly LiveDeployment[], Map<string, LiveDeployment[]>>();
const byService = new WeakMap<readonly LivePod[], Map<string, LivePod[]>>();

function deploymentsByName(deployments: readonly LiveDeployment[]): Map<string, LiveDeployment> {
  let index = byName.get(deployments);
  if (!index) {
    index = new Map(deployments.map((d) => [d.metadata.name, d]));
    byName.set(deployments, index);
  }
  return index;
}

function podsOf(pods: readonly LivePod[], service: string): readonly LivePod[] {
  let index = byService.get(pods);
  if (!index) {
    index = new Map();
    for (const pod of pods) {
      const key = pod.metadata.labels?.[LABEL.service] ?? '';
      const list = index.get(key);
      if (list) list.push(pod);
      else index.set(key, [pod]);
    }
    byService.set(pods, index);
  }
  return index.get(service) ?? [];
}

function replicasOf(live: LiveFleet, labels: Readonly<Record<string, string>>, port: number) {
  return podsOf(live.pods, labels[LABEL.service] ?? '')
    .filter((p) => Object.entries(labels).every(([k, v]) => p.metadata.labels?.[k] === v))
    .map((p) => ({
      name: p.metadata.name,
      version: p.metadata.labels?.[LABEL.version] ?? '',
      port,
      state: podState(p),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function trackDeploymentsOf(deployments: readonly LiveDeployment[], service: string): readonly LiveDeployment[] {
  let index = deploymentsByService.get(deployments);
  if (!index) {
    index = new Map();
    for (const d of deployments) {
      if (d.metadata.labels?.[LABEL.component] !== 'track') continue;
      const key = d.metadata.labels[LABEL.service] ?? '';
      index.set(key, [...(index.get(key) ?? []), d]);
    }
    deploymentsByService.set(deployments, index);
  }
  return index.get(service) ?? [];
}

/**
 * Track Deployments of the service (by Switchyard's labels) that are none of its desired
 * tracks' Deployments: an old blue/green version or a track the spec no longer has.
 */
export function leftoverDeployments(
  service: Service,
  deployments: readonly LiveDeployment[],
  context?: string,
): Leftover[] {
  const desired = new Set(service.tracks.map((t) => trackObjectName(service.name, t.name)));
  return trackDeploymentsOf(deployments, service.name)
    .filter((d) => !desired.has(d.metadata.name))
    .map((d) => {
      const track = d.metadata.labels?.[LABEL.track];
      const version = d.metadata.labels?.[LABEL.version];
      const namespace = d.metadata.namespace ?? service.namespace;
      return {
        kind: 'Deployment',
        name: d.metadata.name,
        ...(track ? { track } : {}),
        ...(version ? { version } : {}),
        remove: `kubectl${context ? ` --context ${context}` : ''} -n ${namespace} delete deployment ${d.metadata.name}`,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The label the Deployment controller gives each ReplicaSet and its pods (the suffix of the ReplicaSet's name). */
const POD_TEMPLATE_HASH = 'pod-template-hash';

/**
 * What runs a service's track pods that is no Deployment's: a ReplicaSet whose Deployment is gone
 * (deleted with `--cascade=orphan`, or made by hand) and pods with no controller at all. Seen from
 * the pods, so only what still runs something is named; a Deployment that is itself a leftover
 * names its ReplicaSets' pods already.
 */
export function leftoverControllers(service: Service, live: LiveFleet, context?: string): Leftover[] {
  const deployments = deploymentsByName(live.deployments);
  const found = new Map<string, Leftover>();
  for (const pod of podsOf(live.pods, service.name)) {
    const labels = pod.metadata.labels ?? {};
    if (labels[LABEL.component] !== 'track' || pod.metadata.deletionTimestamp) continue;
    const owner = pod.metadata.ownerReferences?.find((o) => o.controller);
    if (owner && owner.kind !== 'ReplicaSet') continue;
    const hash = labels[POD_TEMPLATE_HASH];
    if (owner && hash && owner.name.endsWith(`-${hash}`) && deployments.has(owner.name.slice(0, -hash.length - 1)))
      continue;
    const [kind, name] = owner ? ['ReplicaSet', owner.name] : ['Pod', pod.metadata.name];
    if (found.has(`${kind}/${name}`)) continue;
    const namespace = pod.metadata.namespace ?? service.namespace;
    found.set(`${kind}/${name}`, {
      kind,
      name,
      ...(labels[LABEL.track] ? { track: labels[LABEL.track] } : {}),
      ...(labels[LABEL.version] ? { version: labels[LABEL.version] } : {}),
      remove: `kubectl${context ? ` --context ${context}` : ''} -n ${namespace} delete ${kind.toLowerCase()} ${name}`,
    });
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function deployment(live: LiveFleet, name: string): LiveDeployment | undefined {
  return deploymentsByName(live.deployments).get(name);
}

/**
 * A service's tracks and routing; `service` carries the versions and replicas the runtime wants
 * now; `context` is the kubeconfig context of the cluster, for the commands status gives.
 */
export function serviceStatus(
  service: Service,
  routing: RoutingState,
  live: LiveFleet,
  context?: string,
): ServiceStatus {
  const host = `${service.name}.${service.namespace}.svc.cluster.local`;
  const tracks = service.tracks.map((track): TrackStatus => {
    const d = deployment(live, trackObjectName(service.name, track.name));
    return {
      track: track.name,
      version: track.version,
      desired: d?.spec.replicas ?? track.replicas,
      ready: d?.status?.readyReplicas ?? 0,
      replicas: replicasOf(
        live,
        { [LABEL.service]: service.name, [LABEL.track]: track.name, [LABEL.component]: 'track' },
        service.port,
      ),
    };
  });
  const router = deployment(live, routerName(service.name));
  return {
    service: service.name,
    address: `http://${host}`,
    stats: `http://${host}:${ROUTER_STATS_PORT}/stats`,
    router: { desired: router?.spec.replicas ?? service.router.replicas, ready: router?.status?.readyReplicas ?? 0 },
    routing,
    tracks,
    leftovers: [
      ...leftoverDeployments(service, live.deployments, context),
      ...leftoverControllers(service, live, context),
    ],
  };
}

/** Each class of a worker: the replicas its autoscaler set and those ready. */
export function workerStatus(worker: Worker, live: LiveFleet): WorkerClassStatus[] {
  return [worker.normal, ...(worker.fallback ? [worker.fallback] : [])].map((cls) => {
    const d = deployment(live, workerObjectName(worker, cls.name));
    const replicas = replicasOf(
      live,
      { [LABEL.service]: worker.name, [LABEL.workerClass]: cls.name, [LABEL.component]: 'worker' },
      WORKER_METRICS_PORT,
    );
    return {
      worker: worker.name,
      workerClass: cls.name,
      queue: cls.queue,
      desired: d?.spec.replicas ?? 0,
      ready: d?.status?.readyReplicas ?? 0,
      replicas: replicas.map(({ version: _version, ...r }) => r),
    };
  });
}

/** The versions and replicas a unit's Deployments carry, for the units deployed (the rest keep their spec). */
export function liveTracks(
  service: Service,
  deployments: readonly LiveDeployment[],
): Record<string, { version: string; replicas: number }> {
  const tracks: Record<string, { version: string; replicas: number }> = {};
  for (const track of service.tracks) {
    const d = deploymentsByName(deployments).get(trackObjectName(service.name, track.name));
    // A schedule window's floor raises the count it runs at; the track's own count is kept beside it.
    const withoutFloor = Number(d?.metadata.annotations?.[ANNOTATION.replicasWithoutFloor] ?? NaN);
    tracks[track.name] = {
      version: d?.metadata.labels?.[LABEL.version] ?? track.version,
      replicas: Number.isInteger(withoutFloor) ? withoutFloor : (d?.spec.replicas ?? track.replicas),
    };
  }
  return tracks;
}
