import { parseCpu, parseMemory } from '@switchyard/worker/units';
import { isDeployment, LABEL, type Container, type Deployment, type KubeObject } from '../render/index.js';
import type { ConfigField, DocPath } from '../spec/index.js';

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

/** Where an object's containers are described: the service itself, its router, or a worker class. */
export function settingsOf(o: KubeObject): DocPath {
  if (isRouter(o)) return ['router'];
  const workerClass = o.metadata.labels?.[LABEL.workerClass];
  return workerClass ? [workerClass] : [];
}

/** Where an object's containers are sized: the service's resources, the router's, or a worker class (its cpu and memory). */
export function resourcesOf(o: KubeObject): DocPath {
  const settings = settingsOf(o);
  return settings[0] === 'router' || settings.length === 0 ? [...settings, 'resources'] : settings;
}

/** Where a container's CPU or memory limit is set; a worker class has none of its own, its request sets it. */
export function limitOf(o: KubeObject, resource: 'cpu' | 'memory'): DocPath {
  const sized = resourcesOf(o);
  return sized[sized.length - 1] === 'resources' ? [...sized, 'limits', resource] : [...sized, resource];
}

/** The part of its unit's description an object is rendered from: a track, the router, or a worker class. */
export function partOf(o: KubeObject): DocPath {
  const track = o.metadata.labels?.[LABEL.track];
  return track && !isRouter(o) ? ['tracks', track] : settingsOf(o);
}

/** A field of the object's unit; of several paths that may set it, the first one written is reported. */
export function unitField(...paths: DocPath[]): ConfigField {
  return { file: 'unit', paths };
}
