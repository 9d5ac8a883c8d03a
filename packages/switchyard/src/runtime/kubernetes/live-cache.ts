import type { KubeObject } from '../../render/index.js';
import type { KubeClient } from './client.js';
import { Informer, type InformerCounts } from './informer.js';
import { collectionPath, KINDS } from './kinds.js';
import type { LiveDeployment, LivePod } from './rollout.js';
import type { LiveFleet } from './status.js';

export type LiveConfigMap = KubeObject & { metadata: { resourceVersion?: string }; data?: Record<string, string> };

export interface LiveCacheOptions {
  readonly namespace: string;
  /** The fleet's inventory selector: only Switchyard's own objects of this environment. */
  readonly labelSelector: string;
  readonly timeoutSeconds?: number;
  readonly onError?: (kind: string, err: unknown) => void;
  /** After any of the three caches changed. */
  readonly onChange?: () => void;
}

function path(kind: string, namespace: string): string {
  return collectionPath(KINDS.find((k) => k.kind === kind) as (typeof KINDS)[number], namespace);
}

/**
 * The environment's Deployments, Pods and ConfigMaps as the cluster shows them, kept current
 * by three informers from start() to stop(): status reads them without a request.
 */
export class LiveCache {
  readonly deployments: Informer<LiveDeployment>;
  readonly pods: Informer<LivePod>;
  readonly configMaps: Informer<LiveConfigMap>;

  constructor(client: KubeClient, options: LiveCacheOptions) {
    const make = <T extends KubeObject>(kind: string, collection: string): Informer<T> =>
      new Informer<T>(client, {
        path: collection,
        labelSelector: options.labelSelector,
        ...(options.timeoutSeconds !== undefined ? { timeoutSeconds: options.timeoutSeconds } : {}),
        onError: (err) => options.onError?.(kind, err),
        ...(options.onChange ? { onChange: options.onChange } : {}),
      });
    this.deployments = make('Deployment', path('Deployment', options.namespace));
    this.pods = make('Pod', `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/pods`);
    this.configMaps = make('ConfigMap', path('ConfigMap', options.namespace));
  }

  private get all(): Informer<KubeObject>[] {
    return [this.deployments, this.pods, this.configMaps] as Informer<KubeObject>[];
  }

  get running(): boolean {
    return this.all.every((i) => i.running);
  }

  /** Lists all three (a failure is thrown and nothing keeps running), then watches. */
  async start(): Promise<void> {
    try {
      await Promise.all(this.all.map((i) => i.start()));
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.all.map((i) => i.stop()));
  }

  fleet(): LiveFleet {
    return { deployments: this.deployments.cache.items(), pods: this.pods.cache.items() };
  }

  /** What the three informers did, summed (lists, watches, events, errors). */
  counts(): InformerCounts {
    const sum: InformerCounts = { lists: 0, watches: 0, events: 0, errors: 0 };
    for (const i of this.all) for (const key of Object.keys(sum) as (keyof InformerCounts)[]) sum[key] += i.counts[key];
    return sum;
  }
}
