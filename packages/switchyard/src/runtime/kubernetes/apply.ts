import { SwitchyardError } from '../../errors/index.js';
import { LABEL, MANAGED_BY, type KubeObject } from '../../render/index.js';
import type { Environment } from '../../spec/index.js';
import { isNotFound, type KubeClient } from './client.js';
import { renderedHash, upToDate, withHash } from './compare.js';
import { claimCluster, verifyCluster, type ClusterCheck } from './identity.js';
import { collectionPath, discoveryPath, KINDS, kindInfo, objectKey, objectPath, type KindInfo } from './kinds.js';

/** Switchyard's field manager: the owner of every field it renders. */
export const FIELD_MANAGER = 'switchyard';

export interface ApplyOptions {
  /** Validate everything with the API server (server-side dry run); write nothing. */
  readonly dryRun?: boolean;
  /** Delete objects Switchyard rendered before and does not render now (default true). */
  readonly prune?: boolean;
  /** The services whose objects these are; pruning stays among them. Default: the whole environment. */
  readonly scope?: readonly string[];
  /** Requests in flight at once (default 32). */
  readonly concurrency?: number;
  readonly onProgress?: (line: string) => void;
}

export interface ApplyResult {
  readonly dryRun: boolean;
  readonly cluster: ClusterCheck;
  /** `Kind/name` of every object written (or that would be, in a dry run). */
  readonly applied: readonly string[];
  readonly unchanged: number;
  readonly pruned: readonly string[];
  readonly namespaceCreated: boolean;
  /**
   * In a dry run, what would change, as `kubectl diff` shows it: each object live (null when it
   * would be created) and as the API server would store it (null when it would be pruned).
   */
  readonly changes?: readonly ObjectChange[];
}

export interface ObjectChange {
  /** `Kind/name`. */
  readonly key: string;
  readonly before: KubeObject | null;
  readonly after: KubeObject | null;
}

export interface Plan {
  /** Objects to send, each with its hash annotation. */
  readonly apply: readonly KubeObject[];
  readonly unchanged: readonly KubeObject[];
  /** Live objects Switchyard owns that are no longer rendered. */
  readonly prune: readonly KubeObject[];
}

/** The label selector of Switchyard's inventory in one environment (and some of its services). */
export function inventorySelector(env: string, scope?: readonly string[]): string {
  const parts = [`${LABEL.managedBy}=${MANAGED_BY}`, `${LABEL.env}=${env}`];
  if (scope) parts.push(`${LABEL.service} in (${[...scope].sort().join(',')})`);
  return parts.join(',');
}

/** Deployments whose replica count something else drives (an HPA, a ScaledObject, the worker autoscaler). */
function scaledElsewhere(desired: readonly KubeObject[]): Set<string> {
  const names = new Set<string>();
  for (const o of desired) {
    if (o.kind === 'Deployment' && o.metadata.labels?.[LABEL.component] === 'worker') names.add(o.metadata.name);
    const ref = (o.spec as { scaleTargetRef?: { name?: string } } | undefined)?.scaleTargetRef?.name;
    if ((o.kind === 'HorizontalPodAutoscaler' || o.kind === 'ScaledObject') && ref) names.add(ref);
  }
  return names;
}

/**
 * What to send and what to delete; pure. `live` holds Switchyard's inventory as listed. An
 * autoscaled Deployment keeps its live replica count: the rendered one is only its start.
 */
export function plan(desired: readonly KubeObject[], live: readonly KubeObject[]): Plan {
  const liveByKey = new Map(live.map((o) => [objectKey(o), o]));
  const scaled = scaledElsewhere(desired);
  const apply: KubeObject[] = [];
  const unchanged: KubeObject[] = [];
  for (const object of desired) {
    let sent = withHash(object, renderedHash(object));
    const current = liveByKey.get(objectKey(object));
    const liveReplicas = (current?.spec as { replicas?: number } | undefined)?.replicas;
    if (
      object.kind === 'Deployment' &&
      scaled.has(object.metadata.name) &&
      liveReplicas !== undefined &&
      (sent.spec as { replicas?: number }).replicas !== undefined
    ) {
      sent = { ...sent, spec: { ...(sent.spec as object), replicas: liveReplicas } };
    }
    (upToDate(current, sent) ? unchanged : apply).push(sent);
  }
  const wanted = new Set(desired.map(objectKey));
  const prune = live.filter((o) => !wanted.has(objectKey(o)));
  return { apply, unchanged, prune };
}

async function mapLimit<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length && errors.length === 0) {
        const item = items[next++] as T;
        await work(item).catch((err: unknown) => errors.push(err));
      }
    }),
  );
  if (errors.length > 0) throw errors[0];
}

/** Every object of a collection that matches the selector, page by page. */
export async function listAll(client: KubeClient, path: string, labelSelector: string): Promise<KubeObject[]> {
  const items: KubeObject[] = [];
  let token: string | undefined;
  do {
    const page = await client.request<{ items: KubeObject[]; metadata: { continue?: string } }>('GET', path, {
      query: { labelSelector, limit: 1000, continue: token },
    });
    items.push(...page.items);
    token = page.metadata.continue || undefined;
  } while (token);
  return items;
}

/** Kinds the cluster serves, among those Switchyard renders; a rendered kind it lacks is an error. */
export async function servedKinds(client: KubeClient, desired: readonly KubeObject[]): Promise<KindInfo[]> {
  const served: KindInfo[] = [];
  for (const info of KINDS) {
    if (info.builtIn) {
      served.push(info);
      continue;
    }
    const doc = await client
      .request<{ resources?: { name: string }[] }>('GET', discoveryPath(info.apiVersion))
      .catch((err: unknown) => {
        if (isNotFound(err)) return { resources: [] };
        throw err;
      });
    if (doc.resources?.some((r) => r.name === info.plural)) {
      served.push(info);
      continue;
    }
    const users = desired.filter((o) => o.kind === info.kind && o.apiVersion === info.apiVersion);
    if (users.length > 0) {
      const services = [...new Set(users.map((o) => o.metadata.labels?.[LABEL.service] ?? o.metadata.name))].sort();
      throw new SwitchyardError('SWY_KUBE_CRD_MISSING', {
        message: `${services.join(', ')} render${services.length === 1 ? 's' : ''} ${info.kind} (${info.apiVersion}), which context ${client.context} does not serve: its CustomResourceDefinition is not installed; nothing was written`,
        hint:
          info.kind === 'ScaledObject'
            ? 'Install KEDA in the cluster (it brings the ScaledObject CRD), or set scaling.keda: false in the worker file so its built-in autoscaler scales it.'
            : `Install the CustomResourceDefinition of ${info.kind} in the cluster.`,
        details: { kind: info.kind, apiVersion: info.apiVersion, services },
      });
    }
  }
  return served;
}

function namespaceObject(namespace: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: namespace, labels: { [LABEL.managedBy]: MANAGED_BY } },
  };
}

/** Creates the namespace when it is missing (labelled as Switchyard's); an existing one is left as it is. */
async function ensureNamespace(client: KubeClient, namespace: string, dryRun: boolean): Promise<boolean> {
  try {
    await client.request('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}`);
    return false;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  await client.request('PATCH', `/api/v1/namespaces/${encodeURIComponent(namespace)}`, {
    query: { fieldManager: FIELD_MANAGER, force: true, ...(dryRun ? { dryRun: 'All' } : {}) },
    body: namespaceObject(namespace),
    contentType: 'application/apply-patch+yaml',
  });
  return true;
}

export function applyRequest(
  client: KubeClient,
  object: KubeObject,
  namespace: string,
  dryRun: boolean,
): Promise<unknown> {
  return client.request('PATCH', objectPath(kindInfo(object), namespace, object.metadata.name), {
    query: { fieldManager: FIELD_MANAGER, force: true, ...(dryRun ? { dryRun: 'All' } : {}) },
    body: object,
    contentType: 'application/apply-patch+yaml',
  });
}

/**
 * Server-side apply of rendered objects into the environment's namespace, then pruning of
 * what Switchyard rendered before and no longer does. The cluster's identity is checked
 * before any write. Unchanged objects are not sent, so a repeated apply writes nothing.
 */
export async function applyObjects(
  client: KubeClient,
  env: Environment,
  desired: readonly KubeObject[],
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const dryRun = options.dryRun ?? false;
  const say = options.onProgress ?? (() => undefined);
  const namespace = env.namespace;
  for (const o of desired) {
    if ((o.metadata.namespace ?? namespace) !== namespace) {
      throw new SwitchyardError('SWY_INTERNAL_ERROR', {
        message: `${objectKey(o)} is rendered for namespace ${o.metadata.namespace}, not ${namespace}`,
      });
    }
  }
  const cluster = await verifyCluster(client, env);
  if (cluster.warning) say(`! ${cluster.warning}`);
  say(
    `cluster ${cluster.identity.name ?? cluster.identity.uid} (context ${client.context}), namespace ${namespace}${dryRun ? ' — dry run: nothing is written' : ''}`,
  );
  const kinds = await servedKinds(client, desired);
  const namespaceCreated = await ensureNamespace(client, namespace, dryRun);
  if (namespaceCreated) say(`${dryRun ? 'would create' : 'created'} namespace ${namespace}`);
  await claimCluster(client, env, cluster.claims, dryRun);

  // A dry run into a namespace that does not exist yet cannot be validated there.
  const target = dryRun && namespaceCreated ? 'default' : namespace;
  if (target !== namespace)
    say(`namespace ${namespace} does not exist yet: objects are validated in namespace default`);
  const selector = inventorySelector(env.name, options.scope);
  const live = namespaceCreated
    ? []
    : (
        await Promise.all(
          kinds.map(async (info) =>
            (await listAll(client, collectionPath(info, namespace), selector)).map((o) => ({
              ...o,
              kind: info.kind,
              apiVersion: info.apiVersion,
            })),
          ),
        )
      ).flat();
  const planned = plan(desired, live);
  const toApply = dryRun ? [...planned.apply, ...planned.unchanged] : planned.apply;
  say(
    `${planned.apply.length} to apply, ${planned.unchanged.length} unchanged, ${options.prune === false ? 0 : planned.prune.length} to prune`,
  );

  const applied: string[] = [];
  const changes: ObjectChange[] = [];
  const liveByKey = new Map(live.map((o) => [objectKey(o), o]));
  const changed = new Set(planned.apply);
  const concurrency = options.concurrency ?? 32;
  for (const info of KINDS) {
    const batch = toApply.filter((o) => o.kind === info.kind);
    await mapLimit(batch, concurrency, async (object) => {
      const sent = target === namespace ? object : { ...object, metadata: { ...object.metadata, namespace: target } };
      const stored = await applyRequest(client, sent, target, dryRun).catch((err: unknown) => {
        if (err instanceof SwitchyardError)
          throw new SwitchyardError(err.code, {
            message: `${objectKey(object)}: ${err.message}`,
            details: { ...err.details, object: objectKey(object) },
            cause: err,
          });
        throw err;
      });
      applied.push(objectKey(object));
      if (dryRun && changed.has(object))
        changes.push({
          key: objectKey(object),
          before: liveByKey.get(objectKey(object)) ?? null,
          after: { ...(stored as KubeObject), metadata: { ...(stored as KubeObject).metadata, namespace } },
        });
      if (changed.has(object)) say(`${dryRun ? 'valid' : 'applied'} ${objectKey(object)}`);
    });
  }

  const pruned: string[] = [];
  if (options.prune !== false) {
    await mapLimit(planned.prune, concurrency, async (object) => {
      await client
        .request('DELETE', objectPath(kindInfo(object), namespace, object.metadata.name), {
          query: { propagationPolicy: 'Background', ...(dryRun ? { dryRun: 'All' } : {}) },
          body: {
            apiVersion: 'v1',
            kind: 'DeleteOptions',
            preconditions: { uid: (object.metadata as { uid?: string }).uid },
          },
        })
        .catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
      pruned.push(objectKey(object));
      if (dryRun) changes.push({ key: objectKey(object), before: object, after: null });
      say(`${dryRun ? 'would prune' : 'pruned'} ${objectKey(object)}`);
    });
  }
  return {
    dryRun,
    cluster,
    applied: applied.sort(),
    unchanged: planned.unchanged.length,
    pruned: pruned.sort(),
    namespaceCreated,
    ...(dryRun ? { changes: changes.sort((a, b) => a.key.localeCompare(b.key)) } : {}),
  };
}
