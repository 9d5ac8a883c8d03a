import type { ScaleTarget } from '@switchyard/worker';
import type { KubeClient } from './client.js';
import { objectPath } from './kinds.js';

interface EndpointSlice {
  metadata: { labels?: Record<string, string> };
  ports?: { name?: string; port?: number }[] | null;
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean; terminating?: boolean } }[] | null;
}

/** Ready endpoints (`ip:port`) of each named Service, from its EndpointSlices (discovery.k8s.io/v1). */
export async function readyEndpoints(
  client: KubeClient,
  namespace: string,
  services: readonly string[],
): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = Object.fromEntries(services.map((s) => [s, []]));
  if (services.length === 0) return out;
  const list = await client.request<{ items: EndpointSlice[] }>(
    'GET',
    `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/endpointslices`,
    {
      query: { labelSelector: `kubernetes.io/service-name in (${[...services].sort().join(',')})` },
    },
  );
  for (const slice of list.items) {
    const service = slice.metadata.labels?.['kubernetes.io/service-name'];
    if (!service || !out[service]) continue;
    const port = slice.ports?.[0]?.port;
    for (const endpoint of slice.endpoints ?? []) {
      // A missing ready condition means ready (the API's own convention).
      if (endpoint.conditions?.ready === false) continue;
      for (const address of endpoint.addresses) out[service].push(port === undefined ? address : `${address}:${port}`);
    }
  }
  for (const list of Object.values(out)) list.sort();
  return out;
}

const DEPLOYMENT = { apiVersion: 'apps/v1', plural: 'deployments' } as const;

/** Reads a Deployment's replica count through its scale subresource. */
export async function deploymentReplicas(client: KubeClient, namespace: string, name: string): Promise<number> {
  const scale = await client.request<{ spec?: { replicas?: number } }>(
    'GET',
    `${objectPath(DEPLOYMENT, namespace, name)}/scale`,
  );
  return scale.spec?.replicas ?? 0;
}

/** Sets a Deployment's replica count through its scale subresource (what `kubectl scale` does). */
export async function scaleDeployment(
  client: KubeClient,
  namespace: string,
  name: string,
  replicas: number,
  fieldManager = 'switchyard-autoscaler',
): Promise<void> {
  await client.request('PATCH', `${objectPath(DEPLOYMENT, namespace, name)}/scale`, {
    query: { fieldManager },
    body: { spec: { replicas } },
    contentType: 'application/merge-patch+json',
  });
}

export interface ScaleTargetOptions {
  /** The replica count as a watch last saw it (undefined: not known, ask the API server). */
  readonly replicas?: () => number | undefined;
  readonly onScaled?: (replicas: number) => void;
}

/** The worker SDK autoscaler's port, for one worker class's Deployment. */
export class DeploymentScaleTarget implements ScaleTarget {
  constructor(
    private readonly client: KubeClient,
    readonly namespace: string,
    readonly deployment: string,
    private readonly options: ScaleTargetOptions = {},
  ) {}

  async current(): Promise<{ replicas: number }> {
    const watched = this.options.replicas?.();
    return { replicas: watched ?? (await deploymentReplicas(this.client, this.namespace, this.deployment)) };
  }

  /** Pods removed get SIGTERM and their grace period (rendered to cover the longest task). */
  async scaleTo(replicas: number): Promise<void> {
    await scaleDeployment(this.client, this.namespace, this.deployment, replicas);
    this.options.onScaled?.(replicas);
  }
}
