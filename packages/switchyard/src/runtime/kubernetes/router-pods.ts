import { Writable } from 'node:stream';
import { Exec } from '@kubernetes/client-node';
import { LABEL, ROUTER_STATS_PORT } from '../../render/index.js';
import { backendName, parseShowStat, trackFigures } from '../../router/index.js';
import type { TrackCounters } from '../../release/index.js';
import type { Service } from '../../spec/index.js';
import type { KubeClient } from './client.js';
import type { LivePod } from './rollout.js';

/**
 * Reaching the routers' HAProxy inside the cluster. The Runtime API listens on a unix socket
 * in each router pod, so a command reaches it through `exec` (socat in the router image);
 * statistics come over the stats port through the API server's pod proxy. Either needs a
 * kubelet and a pod network the API server can reach: on kwok neither exists, and both
 * report the routers as unreachable instead of failing the change.
 */

const SOCKET = '/var/run/haproxy/admin.sock';
const EXEC_TIMEOUT_MS = 5000;

export async function readyRouterPods(client: KubeClient, service: Service): Promise<string[]> {
  const list = await client.request<{ items: LivePod[] }>('GET', `/api/v1/namespaces/${encodeURIComponent(service.namespace)}/pods`, {
    query: { labelSelector: `${LABEL.service}=${service.name},${LABEL.component}=router` },
  });
  return list.items
    .filter((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((p) => p.metadata.name)
    .sort();
}

function collect(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

/** Runs Runtime API commands in one router pod; throws when the pod cannot be reached. */
async function execRuntimeApi(client: KubeClient, namespace: string, pod: string, commands: readonly string[]): Promise<string> {
  const out = collect();
  const err = collect();
  const script = `printf '%s\\n' "$@" | socat -t 2 stdio unix-connect:${SOCKET}`;
  const exec = new Exec(client.kubeConfig);
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer from ${pod} within ${EXEC_TIMEOUT_MS} ms`)), EXEC_TIMEOUT_MS);
    exec
      .exec(namespace, pod, 'haproxy', ['sh', '-c', script, 'sh', ...commands], out.stream, err.stream, null, false, (status) => {
        clearTimeout(timer);
        if (status.status === 'Success') resolve(out.text());
        else reject(new Error(`${pod}: ${status.message ?? status.reason ?? 'exec failed'} ${err.text()}`.trim()));
      })
      .then((socket) => socket.on('error', (e: Error) => {
        clearTimeout(timer);
        reject(e);
      }))
      .catch((e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      });
  });
}

export interface RuntimeApiOutcome {
  readonly updated: readonly string[];
  readonly unreachable: readonly { readonly pod: string; readonly error: string }[];
}

/** Sends the commands to every ready router pod of the service; reports those it could not reach. */
export async function updateRouters(client: KubeClient, service: Service, commands: readonly string[]): Promise<RuntimeApiOutcome> {
  const pods = await readyRouterPods(client, service);
  const updated: string[] = [];
  const unreachable: { pod: string; error: string }[] = [];
  await Promise.all(
    pods.map(async (pod) => {
      try {
        await execRuntimeApi(client, service.namespace, pod, commands);
        updated.push(pod);
      } catch (err) {
        unreachable.push({ pod, error: err instanceof Error ? err.message : String(err) });
      }
    }),
  );
  return { updated: updated.sort(), unreachable };
}

/**
 * Cumulative per-track counters summed over the router pods, read from their stats page
 * through the API server's pod proxy; undefined when no router pod answers.
 */
export async function routerCounters(client: KubeClient, service: Service): Promise<Record<string, TrackCounters> | undefined> {
  const pods = await readyRouterPods(client, service);
  const tables = (
    await Promise.all(
      pods.map((pod) =>
        client
          .request<string>('GET', `/api/v1/namespaces/${encodeURIComponent(service.namespace)}/pods/${encodeURIComponent(`${pod}:${ROUTER_STATS_PORT}`)}/proxy/stats;csv`, { raw: true })
          .then(parseShowStat)
          .catch(() => undefined),
      ),
    )
  ).filter((t) => t !== undefined);
  if (tables.length === 0) return undefined;
  const tracks = [...service.tracks.map((t) => t.name), ...(service.legacy ? ['legacy'] : [])];
  const out: Record<string, TrackCounters> = {};
  for (const track of tracks) {
    const figures = tables.map((t) => trackFigures(t, track, backendName(track)));
    const requests = figures.reduce((n, f) => n + f.requests, 0);
    out[track] = {
      requests,
      errors: figures.reduce((n, f) => n + f.responses5xx + f.connectionErrors + f.responseErrors, 0),
      responseTimeMs: requests > 0 ? figures.reduce((n, f) => n + f.responseTimeMs * f.requests, 0) / requests : 0,
    };
  }
  return out;
}
