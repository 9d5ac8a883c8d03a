import { SwitchyardError } from '../../errors/index.js';
import { LABEL, MANAGED_BY } from '../../render/index.js';
import type { Environment } from '../../spec/index.js';
import { httpStatus, isNotFound, type KubeClient } from './client.js';

/**
 * Which cluster a context really reaches. A cluster's identity is the UID of its kube-system
 * namespace: it never changes and no two clusters share it. An environment may pin it
 * (`cluster.identity`); every apply also records, in the cluster, which environments deploy
 * there, so that without a pin a protected environment still cannot land in a cluster that
 * runs others, and no environment can land in a protected environment's cluster.
 */

export const CLAIMS = { namespace: 'kube-system', name: 'switchyard-environments' } as const;

export interface ClusterIdentity {
  readonly uid: string;
  /** The name the cluster gives itself (kube-public/switchyard-cluster-info, as the sandbox sets it). */
  readonly name?: string;
  readonly context: string;
  readonly server: string;
}

/** environment name → where and how it deploys in this cluster. */
export type Claims = Readonly<Record<string, { readonly namespace: string; readonly protected: boolean }>>;

export interface Verdict {
  readonly ok: boolean;
  readonly error?: SwitchyardError;
  /** Said to the user when the environment does not pin its cluster. */
  readonly warning?: string;
}

export async function readIdentity(client: KubeClient): Promise<ClusterIdentity> {
  const ns = await client
    .request<{ metadata: { uid: string } }>('GET', '/api/v1/namespaces/kube-system')
    .catch((err: unknown) => {
      if (httpStatus(err) === 403) {
        throw new SwitchyardError('SWY_KUBE_IDENTITY_UNREADABLE', {
          message: `Context ${client.context} may not read namespace kube-system, so Switchyard cannot tell which cluster it reaches`,
          details: { context: client.context },
          cause: err,
        });
      }
      throw err;
    });
  const info = await client
    .request<{ data?: { name?: string } }>('GET', '/api/v1/namespaces/kube-public/configmaps/switchyard-cluster-info')
    .catch(() => undefined);
  return {
    uid: ns.metadata.uid,
    ...(info?.data?.name ? { name: info.data.name } : {}),
    context: client.context,
    server: client.server,
  };
}

export async function readClaims(client: KubeClient): Promise<Claims | undefined> {
  try {
    const cm = await client.request<{ data?: Record<string, string> }>(
      'GET',
      `/api/v1/namespaces/${CLAIMS.namespace}/configmaps/${CLAIMS.name}`,
    );
    const out: Record<string, { namespace: string; protected: boolean }> = {};
    for (const [env, text] of Object.entries(cm.data ?? {})) {
      try {
        const claim = JSON.parse(text) as { namespace?: unknown; protected?: unknown };
        out[env] = { namespace: String(claim.namespace ?? ''), protected: claim.protected === true };
      } catch {
        out[env] = { namespace: '', protected: false };
      }
    }
    return out;
  } catch (err) {
    if (isNotFound(err)) return {};
    if (httpStatus(err) === 403) return undefined;
    throw err;
  }
}

function describe(identity: ClusterIdentity): string {
  return `${identity.name ? `cluster ${identity.name}, ` : ''}identity ${identity.uid}, context ${identity.context} at ${identity.server}`;
}

/** The judgement alone, pure: may `env` write to the cluster described by identity and claims? */
export function judgeCluster(env: Environment, identity: ClusterIdentity, claims: Claims | undefined): Verdict {
  const file = env.file ?? `environments/${env.name}.yaml`;
  const pinned = env.cluster?.identity;
  const wrong = (message: string, hint: string): Verdict => ({
    ok: false,
    error: new SwitchyardError('SWY_KUBE_WRONG_CLUSTER', {
      message,
      hint,
      details: {
        environment: env.name,
        expected: pinned ?? null,
        actual: identity.uid,
        context: identity.context,
        server: identity.server,
        clusterName: identity.name ?? null,
      },
    }),
  });
  if (pinned !== undefined) {
    if (pinned === identity.uid) return { ok: true };
    return wrong(
      `Environment ${env.name} must deploy to the cluster with identity ${pinned} (${file}: cluster.identity), but context ${identity.context} reaches ${describe(identity)}; nothing was written`,
      `Point context ${env.cluster?.context ?? identity.context} at the right cluster (kubectl config get-contexts), or pass --context with one that reaches it.`,
    );
  }
  const others = Object.entries(claims ?? {}).filter(([name]) => name !== env.name);
  const protectedOther = others.find(([, c]) => c.protected);
  if (protectedOther) {
    return wrong(
      `Context ${identity.context} reaches ${describe(identity)}, which runs the protected environment ${protectedOther[0]} (namespace ${protectedOther[1].namespace}); environment ${env.name} must not deploy there; nothing was written`,
      `Point context ${env.cluster?.context ?? identity.context} at ${env.name}'s own cluster, or, if both really share this cluster, pin it in ${file}: cluster.identity: ${identity.uid}.`,
    );
  }
  if (env.protected && others.length > 0 && !claims?.[env.name]) {
    return wrong(
      `Environment ${env.name} is protected and has never deployed to ${describe(identity)}, which runs ${others.map(([n]) => n).join(', ')}; nothing was written`,
      `Point context ${env.cluster?.context ?? identity.context} at ${env.name}'s own cluster; if this really is it, pin it in ${file}: cluster.identity: ${identity.uid}.`,
    );
  }
  return {
    ok: true,
    warning: `${file} does not pin its cluster: context ${identity.context} reaches ${describe(identity)}. Pin it with cluster.identity: ${identity.uid}${claims === undefined ? ' (this context may not read the environment claims in kube-system either)' : ''}.`,
  };
}

/** Records that `env` deploys to this cluster (first apply only: an existing claim is not rewritten). */
export async function claimCluster(
  client: KubeClient,
  env: Environment,
  claims: Claims | undefined,
  dryRun: boolean,
): Promise<void> {
  const mine = claims?.[env.name];
  if (claims === undefined || (mine && mine.namespace === env.namespace && mine.protected === env.protected)) return;
  const body = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: CLAIMS.name, namespace: CLAIMS.namespace, labels: { [LABEL.managedBy]: MANAGED_BY } },
    data: { [env.name]: JSON.stringify({ namespace: env.namespace, protected: env.protected }) },
  };
  // Its own field manager per environment: each one owns its key, none removes another's.
  await client
    .request('PATCH', `/api/v1/namespaces/${CLAIMS.namespace}/configmaps/${CLAIMS.name}`, {
      query: { fieldManager: `switchyard-env-${env.name}`, force: true, ...(dryRun ? { dryRun: 'All' } : {}) },
      body,
      contentType: 'application/apply-patch+yaml',
    })
    .catch((err: unknown) => {
      if (httpStatus(err) !== 403) throw err;
    });
}

export interface ClusterCheck {
  readonly identity: ClusterIdentity;
  readonly claims: Claims | undefined;
  readonly warning?: string;
}

/** Reads the cluster's identity and claims and judges them; throws SWY_KUBE_WRONG_CLUSTER. Writes nothing. */
export async function verifyCluster(client: KubeClient, env: Environment): Promise<ClusterCheck> {
  const identity = await readIdentity(client);
  const claims = await readClaims(client);
  const verdict = judgeCluster(env, identity, claims);
  if (verdict.error) throw verdict.error;
  return { identity, claims, ...(verdict.warning ? { warning: verdict.warning } : {}) };
}
