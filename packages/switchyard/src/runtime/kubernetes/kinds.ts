import { KIND_ORDER, type KubeObject } from '../../render/index.js';
import { SwitchyardError } from '../../errors/index.js';

/** Where a kind lives in the API: what the adapter needs to address rendered objects by path. */
export interface KindInfo {
  readonly kind: string;
  readonly apiVersion: string;
  readonly plural: string;
  /** Built into every API server; others come from a CRD that may be missing. */
  readonly builtIn: boolean;
}

/** Every kind Switchyard renders, in apply order (the inventory that pruning searches). */
export const KINDS: readonly KindInfo[] = [
  { kind: 'ConfigMap', apiVersion: 'v1', plural: 'configmaps', builtIn: true },
  { kind: 'Service', apiVersion: 'v1', plural: 'services', builtIn: true },
  { kind: 'Deployment', apiVersion: 'apps/v1', plural: 'deployments', builtIn: true },
  { kind: 'PodDisruptionBudget', apiVersion: 'policy/v1', plural: 'poddisruptionbudgets', builtIn: true },
  { kind: 'HorizontalPodAutoscaler', apiVersion: 'autoscaling/v2', plural: 'horizontalpodautoscalers', builtIn: true },
  { kind: 'ScaledObject', apiVersion: 'keda.sh/v1alpha1', plural: 'scaledobjects', builtIn: false },
  { kind: 'Ingress', apiVersion: 'networking.k8s.io/v1', plural: 'ingresses', builtIn: true },
];

// The renderer and this table must agree on the kinds; a new kind fails here, loudly.
for (const kind of KIND_ORDER) {
  if (!KINDS.some((k) => k.kind === kind))
    throw new SwitchyardError('SWY_INTERNAL_ERROR', {
      message: `The Kubernetes runtime does not know the rendered kind ${kind}`,
    });
}

export function kindInfo(object: Pick<KubeObject, 'kind' | 'apiVersion'>): KindInfo {
  const info = KINDS.find((k) => k.kind === object.kind && k.apiVersion === object.apiVersion);
  if (!info)
    throw new SwitchyardError('SWY_INTERNAL_ERROR', {
      message: `The Kubernetes runtime does not know ${object.apiVersion} ${object.kind}`,
    });
  return info;
}

function groupPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** `/apis/apps/v1/namespaces/video/deployments[/name]` */
export function collectionPath(info: Pick<KindInfo, 'apiVersion' | 'plural'>, namespace: string): string {
  return `${groupPath(info.apiVersion)}/namespaces/${encodeURIComponent(namespace)}/${info.plural}`;
}

export function objectPath(info: Pick<KindInfo, 'apiVersion' | 'plural'>, namespace: string, name: string): string {
  return `${collectionPath(info, namespace)}/${encodeURIComponent(name)}`;
}

/** The group/version document that says whether a kind is served (CRDs). */
export function discoveryPath(apiVersion: string): string {
  return groupPath(apiVersion);
}

export function objectKey(object: Pick<KubeObject, 'kind' | 'metadata'>): string {
  return `${object.kind}/${object.metadata.name}`;
}
