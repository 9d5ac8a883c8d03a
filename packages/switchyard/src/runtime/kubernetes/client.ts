import { existsSync } from 'node:fs';
import { Agent, request, type RequestOptions } from 'node:https';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { SwitchyardError } from '../../errors/index.js';

/**
 * A small REST client for the Kubernetes API. @kubernetes/client-node loads the kubeconfig
 * and its credentials (client certificates, tokens, exec plugins); requests go through one
 * keep-alive agent so thousands of server-side applies share a few connections, and every
 * kind is addressed by path, which suits objects that arrive already rendered.
 */

export interface KubeClientOptions {
  /** Path of the kubeconfig; default: $KUBECONFIG, then ~/.kube/config. */
  readonly kubeconfig?: string;
  /** Context to use; default: the kubeconfig's current context. */
  readonly context?: string;
  /** Requests in flight at once (default 32). */
  readonly concurrency?: number;
  /** Milliseconds before one request gives up (default 30 s). */
  readonly requestTimeoutMs?: number;
  /**
   * In a pod: what prefixes /var/run/secrets/kubernetes.io/serviceaccount, where the pod's
   * token, CA and namespace are (default: nothing, the path itself).
   */
  readonly serviceAccountRoot?: string;
}

/** Where the client's cluster and credentials come from. */
export type ConfigSource =
  | { readonly from: 'file'; readonly path: string }
  | { readonly from: 'default' }
  | { readonly from: 'cluster'; readonly serviceAccountRoot: string };

/**
 * The kubeconfig named, else $KUBECONFIG, else ~/.kube/config; with none of them and
 * KUBERNETES_SERVICE_HOST set (a pod), the pod's service account. Pure: `exists` and `env`
 * are given.
 */
export function configSource(
  options: Pick<KubeClientOptions, 'kubeconfig' | 'serviceAccountRoot'>,
  env: Readonly<Record<string, string | undefined>>,
  exists: (path: string) => boolean,
): ConfigSource {
  if (options.kubeconfig) return { from: 'file', path: options.kubeconfig };
  if (env.KUBECONFIG) return { from: 'default' };
  const home = env.HOME ?? env.USERPROFILE;
  if (home && exists(join(home, '.kube', 'config'))) return { from: 'default' };
  if (env.KUBERNETES_SERVICE_HOST) return { from: 'cluster', serviceAccountRoot: options.serviceAccountRoot ?? '' };
  return { from: 'default' };
}

export interface RequestParams {
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: unknown;
  readonly contentType?: string;
  /** Answer the body as text (a pod's stats page through the proxy), not JSON. */
  readonly raw?: boolean;
}

/** A Status object as the API server returns it with an error. */
interface ApiStatus {
  readonly kind?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly details?: { readonly causes?: readonly { readonly message?: string; readonly field?: string }[] };
}

export interface WatchEvent<T> {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: T;
}

const RETRIED_STATUSES = new Set([429, 500, 502, 503, 504]);
const RETRIED_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

export function httpStatus(err: unknown): number | undefined {
  return err instanceof SwitchyardError && typeof err.details.httpStatus === 'number'
    ? err.details.httpStatus
    : undefined;
}

export function isNotFound(err: unknown): boolean {
  return httpStatus(err) === 404;
}

function queryString(query: RequestParams['query']): string {
  if (!query) return '';
  const parts = Object.entries(query)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

export class KubeClient {
  /** Requests sent, by HTTP method (what the benchmark and the idempotency test count). */
  readonly counts: Record<string, number> = {};
  private agent: Agent;
  private readonly watchAgent: Agent;
  private headers: Record<string, string> = {};

  private constructor(
    private readonly config: KubeConfig,
    readonly context: string,
    readonly server: string,
    private tls: RequestOptions,
    private readonly options: KubeClientOptions,
  ) {
    this.agent = this.makeAgent(options.concurrency ?? 32);
    this.watchAgent = this.makeAgent(Infinity);
    this.headers = { ...(tls.headers as Record<string, string> | undefined) };
  }

  /**
   * Loads the kubeconfig and the context's credentials, or in a pod without a kubeconfig its
   * service account (the context is then not looked up: the pod's own cluster). Sends nothing yet.
   */
  static async connect(options: KubeClientOptions = {}): Promise<KubeClient> {
    const config = new KubeConfig();
    const source = configSource(options, process.env, existsSync);
    const where =
      source.from === 'cluster'
        ? `the service account token of this pod (${source.serviceAccountRoot}/var/run/secrets/kubernetes.io/serviceaccount)`
        : (options.kubeconfig ?? process.env.KUBECONFIG ?? '~/.kube/config');
    try {
      if (source.from === 'file') config.loadFromFile(source.path);
      else if (source.from === 'cluster') loadFromCluster(config, source.serviceAccountRoot);
      else config.loadFromDefault();
    } catch (err) {
      if (source.from === 'cluster') {
        throw new SwitchyardError('SWY_KUBE_SERVICE_ACCOUNT_INVALID', {
          message: `KUBERNETES_SERVICE_HOST is set and no kubeconfig was found, but ${where} cannot be used: ${(err as Error).message}`,
          cause: err,
          details: { serviceAccount: where },
        });
      }
      throw new SwitchyardError('SWY_KUBE_CONFIG_INVALID', {
        message: `The kubeconfig ${where} could not be read: ${(err as Error).message}`,
        cause: err,
        details: { kubeconfig: where },
      });
    }
    if (options.context && source.from !== 'cluster') {
      if (!config.getContextObject(options.context)) {
        throw new SwitchyardError('SWY_KUBE_CONTEXT_NOT_FOUND', {
          message: `The kubeconfig ${where} has no context ${options.context}`,
          hint: `Use one of: ${
            config
              .getContexts()
              .map((c) => c.name)
              .join(', ') || '(none)'
          }; or pass --context, or set cluster.context in the environment file.`,
          details: { context: options.context, kubeconfig: where },
        });
      }
      config.setCurrentContext(options.context);
    }
    const cluster = config.getCurrentCluster();
    if (!cluster) {
      throw new SwitchyardError('SWY_KUBE_CONFIG_INVALID', {
        message: `The kubeconfig ${where} names no cluster for context ${config.getCurrentContext() || '(none)'}`,
        details: { kubeconfig: where },
      });
    }
    const tls: RequestOptions = {};
    await config.applyToHTTPSOptions(tls);
    return new KubeClient(config, config.getCurrentContext(), cluster.server.replace(/\/$/, ''), tls, options);
  }

  private makeAgent(maxSockets: number): Agent {
    const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername } = this.tls;
    return new Agent({ keepAlive: true, maxSockets, ca, cert, key, pfx, passphrase, rejectUnauthorized, servername });
  }

  /** Credentials from exec plugins and token files expire: load them again (after a 401). */
  private async refreshCredentials(): Promise<void> {
    const tls: RequestOptions = {};
    await this.config.applyToHTTPSOptions(tls);
    this.tls = tls;
    this.headers = { ...(tls.headers as Record<string, string> | undefined) };
    this.agent.destroy();
    this.agent = this.makeAgent(this.options.concurrency ?? 32);
  }

  /** Sends one request; answers its JSON body. Retries what is worth retrying (429, 5xx, resets). */
  async request<T = unknown>(method: string, path: string, params: RequestParams = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once<T>(method, path, params);
      } catch (err) {
        const status = httpStatus(err);
        const code = (err as { cause?: NodeJS.ErrnoException }).cause?.code;
        if (status === 401 && attempt === 1) {
          await this.refreshCredentials();
          continue;
        }
        const retried =
          (status !== undefined && RETRIED_STATUSES.has(status)) || (code !== undefined && RETRIED_CODES.has(code));
        if (!retried || attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      }
    }
  }

  private once<T>(method: string, path: string, params: RequestParams): Promise<T> {
    const url = new URL(`${this.server}${path}${queryString(params.query)}`);
    const body =
      params.body === undefined
        ? undefined
        : typeof params.body === 'string'
          ? params.body
          : JSON.stringify(params.body);
    this.counts[method] = (this.counts[method] ?? 0) + 1;
    return new Promise<T>((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent: this.agent,
          headers: {
            ...this.headers,
            Accept: params.raw ? '*/*' : 'application/json',
            'User-Agent': 'switchyard',
            ...(body !== undefined
              ? { 'Content-Type': params.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(body) }
              : {}),
          },
          timeout: this.options.requestTimeoutMs ?? 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => reject(this.unreachable(err)));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              if (params.raw) return resolve(text as T);
              try {
                resolve((text ? JSON.parse(text) : undefined) as T);
              } catch (err) {
                reject(
                  new SwitchyardError('SWY_KUBE_API_ERROR', {
                    message: `The API server answered ${method} ${path} with something that is not JSON`,
                    cause: err,
                    details: { httpStatus: status },
                  }),
                );
              }
              return;
            }
            reject(this.statusError(method, path, status, text));
          });
        },
      );
      req.on('timeout', () =>
        req.destroy(
          Object.assign(new Error(`no answer within ${this.options.requestTimeoutMs ?? 30_000} ms`), {
            code: 'ETIMEDOUT',
          }),
        ),
      );
      req.on('error', (err) => reject(this.unreachable(err)));
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  private unreachable(err: Error): SwitchyardError {
    return new SwitchyardError('SWY_KUBE_UNREACHABLE', {
      message: `The Kubernetes API server ${this.server} (context ${this.context}) did not answer: ${err.message}`,
      cause: err,
      details: { server: this.server, context: this.context },
    });
  }

  private statusError(method: string, path: string, status: number, text: string): SwitchyardError {
    let parsed: ApiStatus;
    try {
      parsed = JSON.parse(text) as ApiStatus;
    } catch {
      parsed = { message: text.slice(0, 500) };
    }
    const what = parsed.message ?? `HTTP ${status}`;
    const details = { httpStatus: status, reason: parsed.reason, method, path, context: this.context };
    if (status === 401 || status === 403) {
      return new SwitchyardError('SWY_KUBE_FORBIDDEN', {
        message: `The API server of context ${this.context} refused ${method} ${path}: ${what}`,
        details,
      });
    }
    if (status === 409 && parsed.reason === 'Conflict' && method === 'PATCH') {
      return new SwitchyardError('SWY_KUBE_CONFLICT', { message: `${what} (${method} ${path})`, details });
    }
    if (status === 422 || status === 400) {
      const causes = (parsed.details?.causes ?? []).map((c) => `${c.field ?? ''}: ${c.message ?? ''}`);
      return new SwitchyardError('SWY_KUBE_REJECTED', {
        message: `The API server rejected ${method} ${path}: ${what}`,
        details: { ...details, causes },
      });
    }
    return new SwitchyardError('SWY_KUBE_API_ERROR', {
      message: `The API server answered ${method} ${path} with ${status}: ${what}`,
      details,
    });
  }

  /**
   * Streams watch events of a collection from `resourceVersion` until the server closes the
   * stream, `signal` aborts it, or an event handler throws. Resolves when the stream ends.
   */
  watch<T>(
    path: string,
    query: RequestParams['query'],
    onEvent: (event: WatchEvent<T>) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const url = new URL(`${this.server}${path}${queryString({ ...query, watch: 1, allowWatchBookmarks: true })}`);
    this.counts.WATCH = (this.counts.WATCH ?? 0) + 1;
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return resolve();
      const req = request(
        url,
        {
          method: 'GET',
          agent: this.watchAgent,
          headers: { ...this.headers, Accept: 'application/json', 'User-Agent': 'switchyard' },
        },
        (res) => {
          if ((res.statusCode ?? 0) >= 300) {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const err = this.statusError('WATCH', path, res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'));
              // Tokens expire (a pod's service account token rotates): the next watch sends a fresh one.
              if (res.statusCode === 401)
                this.refreshCredentials().then(
                  () => reject(err),
                  () => reject(err),
                );
              else reject(err);
            });
            return;
          }
          let buffer = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffer += chunk;
            let newline: number;
            while ((newline = buffer.indexOf('\n')) >= 0) {
              const line = buffer.slice(0, newline);
              buffer = buffer.slice(newline + 1);
              if (!line.trim()) continue;
              try {
                onEvent(JSON.parse(line) as WatchEvent<T>);
              } catch (err) {
                req.destroy();
                reject(err);
                return;
              }
            }
          });
          res.on('end', () => resolve());
          res.on('error', () => resolve());
        },
      );
      const abort = (): void => {
        req.destroy();
        resolve();
      };
      signal.addEventListener('abort', abort, { once: true });
      req.on('close', () => signal.removeEventListener('abort', abort));
      req.on('error', (err) => (signal.aborted ? resolve() : reject(this.unreachable(err))));
      req.end();
    });
  }

  /** The loaded kubeconfig, for what needs client-node itself (exec into router pods). */
  get kubeConfig(): KubeConfig {
    return this.config;
  }

  close(): void {
    this.agent.destroy();
    this.watchAgent.destroy();
  }
}

/** The pod's service account; a missing token or CA is said here rather than at the first request. */
function loadFromCluster(config: KubeConfig, serviceAccountRoot: string): void {
  const dir = `${serviceAccountRoot}/var/run/secrets/kubernetes.io/serviceaccount`;
  for (const file of ['token', 'ca.crt']) {
    if (!existsSync(join(dir, file)))
      throw new Error(`${join(dir, file)} does not exist (is a service account token mounted?)`);
  }
  config.loadFromCluster(serviceAccountRoot);
}
