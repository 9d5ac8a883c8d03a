import { formatCpu, formatMemory } from '@switchyard/worker/units';
import type { NodePool, Probe as SpecProbe, Resources } from '../spec/index.js';
import { LABEL } from './labels.js';
import type { Container, NodeSelectorRequirement, PodSpec, Probe, Toleration } from './objects.js';

/** Node labels and the spot taint that node pools carry (see test/k8s for the sandbox's pools). */
export const NODE_LABEL = {
  nodeClass: LABEL.nodePoolClass,
  pool: LABEL.nodePool,
  capacityType: LABEL.capacityType,
} as const;

export const SPOT_TAINT: Toleration = {
  key: LABEL.capacityType,
  operator: 'Equal',
  value: 'spot',
  effect: 'NoSchedule',
};

/** `1:4` → `1-4`: label values cannot hold a colon. */
export function nodeClassLabel(nodeClass: string): string {
  return nodeClass.replace(':', '-');
}

export function resourceBlock(r: Resources): NonNullable<Container['resources']> {
  return {
    requests: { cpu: formatCpu(r.cpuMillis), memory: formatMemory(r.memoryBytes) },
    limits: { cpu: formatCpu(r.cpuLimitMillis), memory: formatMemory(r.memoryLimitBytes) },
  };
}

export function probeBlock(p: SpecProbe | undefined): Probe | undefined {
  if (!p) return undefined;
  const timing = {
    periodSeconds: p.periodSeconds,
    timeoutSeconds: p.timeoutSeconds,
    failureThreshold: p.failureThreshold,
    initialDelaySeconds: p.initialDelaySeconds,
  };
  if (p.kind === 'http') return { httpGet: { path: p.path as string, port: p.port }, ...timing };
  if (p.kind === 'exec') return { exec: { command: [...(p.exec ?? [])] }, ...timing };
  return { tcpSocket: { port: p.port }, ...timing };
}

/** The taint that keeps a dedicated pool's nodes to the pods that name the pool. */
export function poolTaint(name: string): Toleration {
  return { key: NODE_LABEL.pool, operator: 'Equal', value: name, effect: 'NoSchedule' };
}

/**
 * Where a pod may run: its dedicated pool, its node pool class, and whether spot capacity is
 * required, allowed or refused.
 */
export function placement(pool: NodePool): Pick<PodSpec, 'affinity' | 'tolerations'> {
  const required: NodeSelectorRequirement[] = [];
  if (pool.name) required.push({ key: NODE_LABEL.pool, operator: 'In', values: [pool.name] });
  const preferred: { weight: number; preference: { matchExpressions: NodeSelectorRequirement[] } }[] = [];
  if (pool.class) required.push({ key: NODE_LABEL.nodeClass, operator: 'In', values: [nodeClassLabel(pool.class)] });
  if (pool.capacity === 'on-demand') {
    required.push({ key: NODE_LABEL.capacityType, operator: 'NotIn', values: ['spot'] });
  } else if (pool.capacity === 'spot') {
    preferred.push({
      weight: 100,
      preference: { matchExpressions: [{ key: NODE_LABEL.capacityType, operator: 'In', values: ['spot'] }] },
    });
  }
  const nodeAffinity = {
    ...(required.length > 0
      ? { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: required }] } }
      : {}),
    ...(preferred.length > 0 ? { preferredDuringSchedulingIgnoredDuringExecution: preferred } : {}),
  };
  const tolerations = [
    ...(pool.name ? [poolTaint(pool.name)] : []),
    ...(pool.capacity === 'on-demand' ? [] : [SPOT_TAINT]),
  ];
  return {
    ...(Object.keys(nodeAffinity).length > 0 ? { affinity: { nodeAffinity } } : {}),
    ...(tolerations.length > 0 ? { tolerations } : {}),
  };
}

/**
 * A pause before the container is told to stop: a pod being deleted leaves its Service's
 * endpoints at once, but every node's kube-proxy (and every router's kept-alive connection)
 * learns it a moment later, so the pod keeps serving until they have. Up to 5 s, always
 * leaving a second of the grace period for the container's own drain.
 */
export function drainPause(graceSeconds: number): Pick<Container, 'lifecycle'> {
  const seconds = Math.min(5, graceSeconds - 1);
  return seconds >= 1 ? { lifecycle: { preStop: { sleep: { seconds } } } } : {};
}

/** Spread replicas of one selector over nodes, so one node going away takes few of them. */
export function spread(selector: Record<string, string>): NonNullable<PodSpec['topologySpreadConstraints']> {
  return [
    {
      maxSkew: 1,
      topologyKey: 'kubernetes.io/hostname',
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: { matchLabels: selector },
    },
    {
      maxSkew: 1,
      topologyKey: 'topology.kubernetes.io/zone',
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: { matchLabels: selector },
    },
  ];
}

export const CONTAINER_SECURITY = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
} as const;

/**
 * An app container's security context: runAsNonRoot with a numeric user and group, since the
 * kubelet cannot tell whether an image's named USER is root and refuses to start it
 * (CreateContainerConfigError).
 */
export function appSecurity(runAs: {
  readonly user: number;
  readonly group: number;
}): NonNullable<Container['securityContext']> {
  return { ...CONTAINER_SECURITY, runAsUser: runAs.user, runAsGroup: runAs.group };
}

export const POD_SECURITY = { seccompProfile: { type: 'RuntimeDefault' } } as const;

export function envList(vars: Readonly<Record<string, string>>): NonNullable<Container['env']> {
  return Object.keys(vars)
    .sort()
    .map((name) => ({ name, value: vars[name] as string }));
}
