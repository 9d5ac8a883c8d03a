import { parseCpu, parseMemory } from '@switchyard/worker/units';
import { isDeployment, LABEL, type Container, type Deployment, type KubeObject } from '../render/index.js';

/** Helpers rules share to read rendered objects. */

export function deployments(objects: readonly KubeObject[]): Deployment[] {
  return objects.filter(isDeployment);
}

export function ofKind(objects: readonly KubeObject[], kind: string): KubeObject[] {
  return objects.filter((o) => o.kind === kind);
}

export function containers(d: Deployment): Container[] {
  return d.spec.template.spec.containers;
}

export function component(o: KubeObject): string | undefined {
  return o.metadata.labels?.[LABEL.component];
}

export function isRouter(o: KubeObject): boolean {
  return component(o) === 'router';
}

/** A fallback worker class scales to zero by design; availability rules do not apply to it. */
export function scalesToZero(d: Deployment): boolean {
  return d.metadata.labels?.[LABEL.workerClass] === 'fallback';
}

export function matches(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** Kinds that live outside any namespace: a namespace rule has nothing to ask of them. */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PriorityClass',
  'StorageClass',
  'PersistentVolume',
  'IngressClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
]);

export function clusterScoped(o: KubeObject): boolean {
  return CLUSTER_SCOPED.has(o.kind);
}

export function sameNamespace(a: KubeObject, b: KubeObject): boolean {
  return (a.metadata.namespace ?? 'default') === (b.metadata.namespace ?? 'default');
}

/** The replicas a Deployment runs with: its own count, or the minimum of the autoscaler that owns it. */
export function effectiveReplicas(d: Deployment, objects: readonly KubeObject[]): number | undefined {
  if (d.spec.replicas !== undefined) return d.spec.replicas;
  const hpa = objects.find(
    (o) =>
      o.kind === 'HorizontalPodAutoscaler' &&
      sameNamespace(o, d) &&
      (o.spec as { scaleTargetRef?: { name?: string } }).scaleTargetRef?.name === d.metadata.name,
  );
  const min = (hpa?.spec as { minReplicas?: number } | undefined)?.minReplicas;
  return min ?? 1;
}

export function cpuMillis(value: string | undefined): number | undefined {
  return value === undefined ? undefined : parseCpu(value);
}

export function memoryBytes(value: string | undefined): number | undefined {
  return value === undefined ? undefined : parseMemory(value);
}

export function describe(o: KubeObject): string {
  return `${o.kind} ${o.metadata.name}`;
}
