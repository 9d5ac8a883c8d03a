import type { Environment, Service, Track } from '../spec/index.js';
import { ANNOTATION, LABEL, unitAnnotations, unitLabels } from './labels.js';
import type { Deployment, KubeObject } from './objects.js';
import { appSecurity, drainPause, envList, placement, POD_SECURITY, probeBlock, resourceBlock, spread } from './pod.js';

/** A track's own name for its Deployment, Service and PodDisruptionBudget. */
export function trackObjectName(service: string, track: string): string {
  return `${service}-${track}`;
}

export function trackSelector(service: Service, track: string): Record<string, string> {
  return { [LABEL.service]: service.name, [LABEL.track]: track };
}

function withAnnotations<M extends { annotations: Record<string, string> }>(
  metadata: M,
  annotations: Record<string, string> | undefined,
): M {
  return annotations ? { ...metadata, annotations: { ...metadata.annotations, ...annotations } } : metadata;
}

function meta(service: Service, name: string, extra: Record<string, string> = {}) {
  return {
    name,
    namespace: service.namespace,
    labels: { ...unitLabels(service), ...extra },
    annotations: unitAnnotations(service),
  };
}

/** Whether the HorizontalPodAutoscaler owns this track's replica count. */
export function autoscaled(service: Service, track: string): boolean {
  return track === service.stableTrack && service.autoscaling?.cpu !== undefined;
}

/**
 * The floor of an open schedule window on a track without an autoscaler: the Deployment runs at
 * least `floor` replicas, and says so (the floor, and the count without it, which the state read
 * back from the cluster keeps). Undefined when the floor raises nothing.
 */
function raisedBy(service: Service, track: Track, floor: number | undefined) {
  if (floor === undefined || track.name !== service.stableTrack || floor <= track.replicas) return undefined;
  if (autoscaled(service, track.name)) return undefined;
  return {
    replicas: floor,
    annotations: {
      [ANNOTATION.scheduleFloor]: String(floor),
      [ANNOTATION.replicasWithoutFloor]: String(track.replicas),
    },
  };
}

export function trackDeployment(service: Service, track: Track, floor?: number): Deployment {
  const raised = raisedBy(service, track, floor);
  const selector = trackSelector(service, track.name);
  const labels = { ...unitLabels(service), ...selector, [LABEL.version]: track.version, [LABEL.component]: 'track' };
  const vars = {
    ...service.envVars,
    PORT: String(service.port),
    SWITCHYARD_ENV: service.env,
    SWITCHYARD_SERVICE: service.name,
    SWITCHYARD_TRACK: track.name,
    SWITCHYARD_VERSION: track.version,
  };
  const readiness = probeBlock(service.probes.readiness);
  const liveness = probeBlock(service.probes.liveness);
  const startup = probeBlock(service.probes.startup);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: withAnnotations(
      meta(service, trackObjectName(service.name, track.name), {
        [LABEL.track]: track.name,
        [LABEL.version]: track.version,
        [LABEL.component]: 'track',
      }),
      raised?.annotations,
    ),
    spec: {
      // Leave the count to the autoscaler where one owns it, or each apply would reset it.
      ...(autoscaled(service, track.name) ? {} : { replicas: raised?.replicas ?? track.replicas }),
      revisionHistoryLimit: 5,
      selector: { matchLabels: selector },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: service.name,
              image: `${service.image ?? service.name}:${track.version}`,
              imagePullPolicy: 'IfNotPresent',
              ports: [{ name: 'http', containerPort: service.port, protocol: 'TCP' }],
              env: envList(vars),
              resources: resourceBlock(service.resources),
              ...(readiness ? { readinessProbe: readiness } : {}),
              ...(liveness ? { livenessProbe: liveness } : {}),
              ...(startup ? { startupProbe: startup } : {}),
              securityContext: appSecurity(service.runAs),
              ...drainPause(service.terminationGraceSeconds),
            },
          ],
          ...placement(service.nodePool),
          topologySpreadConstraints: spread(selector),
          terminationGracePeriodSeconds: service.terminationGraceSeconds,
          securityContext: { ...POD_SECURITY },
          automountServiceAccountToken: false,
          enableServiceLinks: false,
        },
      },
    },
  };
}

export function trackService(service: Service, track: Track): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(service, trackObjectName(service.name, track.name), {
      [LABEL.track]: track.name,
      [LABEL.component]: 'track',
    }),
    spec: {
      type: 'ClusterIP',
      selector: trackSelector(service, track.name),
      ports: [{ name: 'http', port: service.port, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

export function disruptionBudget(
  service: Service,
  name: string,
  selector: Record<string, string>,
  extraLabels: Record<string, string>,
): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(service, name, extraLabels),
    spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
  };
}

/**
 * The stable track's HorizontalPodAutoscaler. An open schedule window's `floor` raises its
 * minimum (never above its maximum, which validation keeps every window under).
 */
export function autoscaler(service: Service, floor?: number): KubeObject | undefined {
  const cpu = service.autoscaling?.cpu;
  if (!cpu) return undefined;
  const minReplicas = floor !== undefined && floor > cpu.min ? Math.min(cpu.max, floor) : cpu.min;
  const name = trackObjectName(service.name, service.stableTrack);
  const schedule = service.autoscaling?.schedule ?? [];
  const base = meta(service, name, { [LABEL.track]: service.stableTrack, [LABEL.component]: 'track' });
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: {
      ...base,
      annotations: {
        ...base.annotations,
        ...(schedule.length > 0 ? { [ANNOTATION.schedule]: JSON.stringify(schedule) } : {}),
        ...(minReplicas > cpu.min ? { [ANNOTATION.scheduleFloor]: String(minReplicas) } : {}),
      },
    },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas,
      maxReplicas: cpu.max,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: cpu.targetUtilization } },
        },
      ],
      // Evening peaks rise in minutes: scale up at once, scale down slowly.
      behavior: {
        scaleUp: {
          stabilizationWindowSeconds: 0,
          selectPolicy: 'Max',
          policies: [
            { type: 'Percent', value: 100, periodSeconds: 15 },
            { type: 'Pods', value: 4, periodSeconds: 15 },
          ],
        },
        scaleDown: {
          stabilizationWindowSeconds: 300,
          selectPolicy: 'Min',
          policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }],
        },
      },
    },
  };
}

export function ingress(service: Service, env: Environment, routerServiceName: string): KubeObject | undefined {
  if (service.hosts.length === 0) return undefined;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: meta(service, service.name, { [LABEL.component]: 'router' }),
    spec: {
      ingressClassName: env.ingressClass,
      rules: service.hosts.map((host) => ({
        host,
        http: {
          paths: [
            {
              path: '/',
              pathType: 'Prefix',
              backend: { service: { name: routerServiceName, port: { name: 'http' } } },
            },
          ],
        },
      })),
    },
  };
}

export function serviceMeta(service: Service, name: string, extra: Record<string, string> = {}) {
  return meta(service, name, extra);
}
