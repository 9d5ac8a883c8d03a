import { PassThrough, Writable } from 'node:stream';
import { PortForward } from '@kubernetes/client-node';
import {
  LABEL,
  ROUTER_CONFIG_DIR,
  ROUTER_RUNTIME_API_PORT,
  ROUTER_STATS_PORT,
  routerName,
} from '../../render/index.js';
import {
  backendName,
  combineFigures,
  countsLatency,
  interactiveAnswers,
  interactiveScript,
  latencyTable,
  LEGACY_TRACK,
  parseShowStat,
  planRouting,
  refusal,
  SHOW_LATENCY,
  trackFigures,
  withLatency,
  type LatencyHistogram,
  type Router,
  type RoutingChange,
  type RoutingState,
  type TrackFigures,
} from '../../router/index.js';
import type { Service } from '../../spec/index.js';
import type { KubeClient } from './client.js';
import type { LivePod } from './rollout.js';

/**
 * Reaching the routers' HAProxy inside the cluster. The Runtime API listens on each router
 * pod's loopback, and a change reaches it through the API server's port-forward (one short
 * interactive session per change: no process starts in the pod, so it takes milliseconds, and
 * the router image needs nothing but HAProxy); statistics come over the stats port through the
 * API server's pod proxy. Either needs a kubelet and a pod network: on kwok neither exists, and
 * both report the routers as unreachable instead of failing the change.
 */

const SESSION_TIMEOUT_MS = 5000;

/** The pods the runtime's live cache holds, when it runs: where router pods are found without asking the API server. */
export type CachedPods = () => readonly LivePod[] | undefined;

/**
 * The names of the service's ready router pods, not being deleted: from the live cache when it
 * runs (a change or a reading then costs no list call), else from the API server.
 */
export async function readyRouterPods(client: KubeClient, service: Service, cached?: CachedPods): Promise<string[]> {
  const fromCache = cached?.()?.filter(
    (p) =>
      p.metadata.namespace === service.namespace &&
      p.metadata.labels?.[LABEL.service] === service.name &&
      p.metadata.labels?.[LABEL.component] === 'router',
  );
  const items =
    fromCache ??
    (
      await client.request<{ items: LivePod[] }>(
        'GET',
        `/api/v1/namespaces/${encodeURIComponent(service.namespace)}/pods`,
        {
          query: { labelSelector: `${LABEL.service}=${service.name},${LABEL.component}=router` },
        },
      )
    ).items;
  return items
    .filter(
      (p) =>
        !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    )
    .map((p) => p.metadata.name)
    .sort();
}

/** A stream that hands on what it is written; the empty chunks a port-forward opens each channel with are not text. */
function sink(onText: (text: string) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      if (chunk.length > 0) onText(chunk.toString());
      done();
    },
  });
}

/**
 * Runs Runtime API commands in one router pod over a port-forward to its loopback Runtime API;
 * resolves with each command's answer once all are answered, and throws when the pod cannot be
 * reached or HAProxy refuses a command (`read`: commands that only read, whose answers are
 * data for their parser to check).
 */
export async function runtimeApiSession(
  client: KubeClient,
  namespace: string,
  pod: string,
  commands: readonly string[],
  options: { readonly read?: boolean } = {},
): Promise<string[]> {
  const input = new PassThrough();
  let output = '';
  let errors = '';
  let settle: (answers: string[] | Error) => void = () => undefined;
  const settled = new Promise<string[] | Error>((resolve) => (settle = resolve));
  const forward = new PortForward(client.kubeConfig);
  const socket = await forward.portForward(
    namespace,
    pod,
    [ROUTER_RUNTIME_API_PORT],
    sink((text) => {
      output += text;
      const answers = interactiveAnswers(output, commands.length);
      if (answers) settle(answers);
    }),
    sink((text) => {
      errors += text;
      settle(new Error(`${pod}: ${errors.trim()}`));
    }),
    input,
  );
  const timer = setTimeout(
    () => settle(new Error(`${pod}: no answer from the Runtime API within ${SESSION_TIMEOUT_MS} ms`)),
    SESSION_TIMEOUT_MS,
  );
  socket.on('error', (e: Error) => settle(new Error(`${pod}: ${e.message}`)));
  socket.on('close', () => settle(new Error(`${pod}: the port-forward closed before every command was answered`)));
  input.write(interactiveScript(commands));
  const outcome = await settled;
  clearTimeout(timer);
  input.end();
  socket.close();
  if (outcome instanceof Error) throw outcome;
  // A reading's answer is data (a table, a key that happens to read "not found"), checked by its parser.
  if (options.read) return outcome;
  const refused = outcome.map((answer, i) => ({ answer: refusal(answer), command: commands[i] })).find((r) => r.answer);
  if (refused) throw new Error(`${pod}: HAProxy refused "${refused.command ?? ''}": ${refused.answer ?? ''}`);
  return outcome;
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
  cached?: CachedPods,
): Promise<RuntimeApiOutcome> {
  const pods = await readyRouterPods(client, service, cached);
  const updated: string[] = [];
  const unreachable: { pod: string; error: string }[] = [];
  await Promise.all(
    pods.map(async (pod) => {
      try {
        await runtimeApiSession(client, service.namespace, pod, commands);
        updated.push(pod);
      } catch (err) {
        unreachable.push({ pod, error: err instanceof Error ? err.message : String(err) });
      }
    }),
  );
  return { updated: updated.sort(), unreachable };
}

/**
 * Per-track figures of every router pod that answers: counters from its stats page through the
 * API server's pod proxy, response-time histograms from its latency table over the Runtime API.
 */
async function podFigures(client: KubeClient, service: Service, cached?: CachedPods): Promise<TrackFigures[][]> {
  const pods = await readyRouterPods(client, service, cached);
  const tracks = [...service.tracks.map((t) => t.name), ...(service.legacy ? [LEGACY_TRACK] : [])];
  const answers = await Promise.all(
    pods.map((pod) =>
      client
        .request<string>(
          'GET',
          `/api/v1/namespaces/${encodeURIComponent(service.namespace)}/pods/${encodeURIComponent(`${pod}:${ROUTER_STATS_PORT}`)}/proxy/stats;csv`,
          { raw: true },
        )
        .then(async (csv) => {
          const table = parseShowStat(csv);
          const figures = tracks.map((track) => trackFigures(table, track, backendName(track)));
          const latency = countsLatency(service)
            ? await runtimeApiSession(client, service.namespace, pod, [SHOW_LATENCY], { read: true })
                .then(([answer]) => latencyTable(answer ?? ''))
                .catch(() => new Map<string, LatencyHistogram>())
            : new Map<string, LatencyHistogram>();
          return withLatency(figures, latency);
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
  /** The live cache's pods, when it runs. */
  readonly pods?: CachedPods;
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
    const pods = await podFigures(this.options.client, this.options.service(), this.options.pods).catch(() => []);
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
    const outcome = await updateRouters(this.options.client, service, plan.commands, this.options.pods);
    if (outcome.unreachable.length > 0) {
      const count = outcome.unreachable.length;
      this.options.say(
        `! ${service.name}: ${count} router pod${count === 1 ? '' : 's'} could not be reached through the Runtime API (${outcome.unreachable[0]?.error ?? ''}); ` +
          `ConfigMap ${routerName(service.name)} holds the new split and routers read it when they restart`,
      );
    }
  }
}
