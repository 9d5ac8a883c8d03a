import { Writable } from 'node:stream';
import { Exec } from '@kubernetes/client-node';
import { LABEL, ROUTER_CONFIG_DIR, ROUTER_SOCKET, ROUTER_STATS_PORT, routerName } from '../../render/index.js';
import {
  backendName,
  combineFigures,
  LEGACY_TRACK,
  parseShowStat,
  planRouting,
  trackFigures,
  type Router,
  type RoutingChange,
  type RoutingState,
  type TrackFigures,
} from '../../router/index.js';
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

const EXEC_TIMEOUT_MS = 5000;

export async function readyRouterPods(client: KubeClient, service: Service): Promise<string[]> {
  const list = await client.request<{ items: LivePod[] }>(
    'GET',
    `/api/v1/namespaces/${encodeURIComponent(service.namespace)}/pods`,
    {
      query: { labelSelector: `${LABEL.service}=${service.name},${LABEL.component}=router` },
    },
  );
  return list.items
    .filter(
      (p) =>
        !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    )
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

/** What `exec` runs in a router pod's haproxy container: the commands, one per line, to the Runtime API's socket. */
export function runtimeApiExec(commands: readonly string[]): string[] {
  return ['sh', '-c', `printf '%s\\n' "$@" | socat -t 2 stdio unix-connect:${ROUTER_SOCKET}`, 'sh', ...commands];
}

/** Runs Runtime API commands in one router pod; throws when the pod cannot be reached. */
async function execRuntimeApi(
  client: KubeClient,
  namespace: string,
  pod: string,
  commands: readonly string[],
): Promise<string> {
  const out = collect();
  const err = collect();
  const exec = new Exec(client.kubeConfig);
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no answer from ${pod} within ${EXEC_TIMEOUT_MS} ms`)),
      EXEC_TIMEOUT_MS,
    );
    exec
      .exec(namespace, pod, 'haproxy', runtimeApiExec(commands), out.stream, err.stream, null, false, (status) => {
        clearTimeout(timer);
        if (status.status === 'Success') resolve(out.text());
        else reject(new Error(`${pod}: ${status.message ?? status.reason ?? 'exec failed'} ${err.text()}`.trim()));
      })
      .then((socket) =>
        socket.on('error', (e: Error) => {
          clearTimeout(timer);
          reject(e);
        }),
      )
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
export async function updateRouters(
  client: KubeClient,
  service: Service,
  commands: readonly string[],
): Promise<RuntimeApiOutcome> {
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

/** Per-track figures of every router pod that answers, from its stats page through the API server's pod proxy. */
async function podFigures(client: KubeClient, service: Service): Promise<TrackFigures[][]> {
  const pods = await readyRouterPods(client, service);
  const tracks = [...service.tracks.map((t) => t.name), ...(service.legacy ? [LEGACY_TRACK] : [])];
  const answers = await Promise.all(
    pods.map((pod) =>
      client
        .request<string>(
          'GET',
          `/api/v1/namespaces/${encodeURIComponent(service.namespace)}/pods/${encodeURIComponent(`${pod}:${ROUTER_STATS_PORT}`)}/proxy/stats;csv`,
          { raw: true },
        )
        .then((csv) => {
          const table = parseShowStat(csv);
          return tracks.map((track) => trackFigures(table, track, backendName(track)));
        })
        .catch(() => undefined),
    ),
  );
  return answers.filter((figures) => figures !== undefined);
}

export interface RouterPodsOptions {
  readonly client: KubeClient;
  /** The service as it runs now. */
  readonly service: () => Service;
  readonly routing: () => RoutingState;
  /** Writes a new split where routers read it when they (re)start: the router's ConfigMap. */
  readonly save: (routing: RoutingState) => Promise<void>;
  readonly say: (line: string) => void;
}

/** A service's router pods as one Router: the ConfigMap holds the split, the pods change live. */
export class RouterPods implements Router {
  constructor(private readonly options: RouterPodsOptions) {}

  currentRouting(): RoutingState {
    return this.options.routing();
  }

  setShare(group: string, share: number): Promise<void> {
    return this.change({ kind: 'share', group, share });
  }

  setLegacyShare(share: number): Promise<void> {
    return this.change({ kind: 'legacy-share', share });
  }

  routeGroup(group: string, track: string): Promise<void> {
    return this.change({ kind: 'route-group', group, track });
  }

  /** The counters of every router pod that answers, added up; none when none answers. */
  async figures(): Promise<TrackFigures[]> {
    const pods = await podFigures(this.options.client, this.options.service()).catch(() => []);
    return pods.length > 0 ? combineFigures(pods) : [];
  }

  /**
   * A routing change: the router ConfigMap's map files first (what a restarted router reads),
   * then the running routers through their Runtime API where they can be reached.
   */
  private async change(change: RoutingChange): Promise<void> {
    const plan = planRouting(this.options.service(), this.currentRouting(), change, ROUTER_CONFIG_DIR);
    await this.options.save(plan.routing);
    const service = this.options.service();
    const outcome = await updateRouters(this.options.client, service, plan.commands);
    if (outcome.unreachable.length > 0) {
      const count = outcome.unreachable.length;
      this.options.say(
        `! ${service.name}: ${count} router pod${count === 1 ? '' : 's'} could not be reached through the Runtime API (${outcome.unreachable[0]?.error ?? ''}); ` +
          `ConfigMap ${routerName(service.name)} holds the new split and routers read it when they restart`,
      );
    }
  }
}
