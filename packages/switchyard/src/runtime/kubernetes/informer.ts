import type { KubeObject } from '../../render/index.js';
import { httpStatus, type KubeClient, type WatchEvent } from './client.js';

/**
 * List+watch of one collection, kept in memory: the informer pattern of client-go, over our
 * KubeClient (its keep-alive agents, credential refresh, error catalogue and request counts).
 * `ObjectCache` is the pure part (what a list and each event do to the cache, and whether the
 * watch can resume or must list again); `Informer` runs the loop: list, watch from the list's
 * resourceVersion with bookmarks, resume after the server closes the stream, list again on
 * 410 Gone, back off while the API server cannot be reached.
 */

export type CacheChange<T> =
  { readonly type: 'synced'; readonly items: readonly T[] } | { readonly type: 'set' | 'deleted'; readonly object: T };

interface WatchStatus {
  readonly code?: number;
  readonly reason?: string;
  readonly message?: string;
}

/** The objects of one collection by name (one namespace), and the resourceVersion they are at. */
export class ObjectCache<T extends KubeObject & { metadata: { resourceVersion?: string } }> {
  private readonly objects = new Map<string, T>();
  private version = '';
  /** items() until the next change: the same array, so what is derived from it can be kept too. */
  private sorted: T[] | undefined;

  /** Where a watch resumes; empty until a list (and after a 410: the cache must be listed again). */
  get resourceVersion(): string {
    return this.version;
  }

  get size(): number {
    return this.objects.size;
  }

  get(name: string): T | undefined {
    return this.objects.get(name);
  }

  /** Every object, by name; the same (frozen) array until something changes. */
  items(): readonly T[] {
    this.sorted ??= Object.freeze(
      [...this.objects.values()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1)),
    ) as T[];
    return this.sorted;
  }

  /** A list's answer replaces everything: objects deleted while no watch ran disappear. */
  replace(items: readonly T[], resourceVersion: string): CacheChange<T> {
    this.objects.clear();
    this.sorted = undefined;
    for (const item of items) this.objects.set(item.metadata.name, item);
    this.version = resourceVersion;
    return { type: 'synced', items: this.items() };
  }

  /** The resourceVersion can no longer be watched from (410 Gone): the next watch lists first. */
  expire(): void {
    this.version = '';
  }

  /**
   * One watch event. An ERROR (410 Gone: the resourceVersion is older than the API server
   * keeps; or any other) cannot be resumed from: the cache is listed again.
   */
  apply(event: WatchEvent<T | WatchStatus>): { next: 'resume' | 'relist'; change?: CacheChange<T> } {
    if (event.type === 'ERROR') {
      this.expire();
      return { next: 'relist' };
    }
    const object = event.object as T;
    const version = object.metadata?.resourceVersion;
    if (version) this.version = version;
    switch (event.type) {
      case 'BOOKMARK':
        return { next: 'resume' };
      case 'ADDED':
      case 'MODIFIED':
        this.sorted = undefined;
        this.objects.set(object.metadata.name, object);
        return { next: 'resume', change: { type: 'set', object } };
      case 'DELETED':
        this.sorted = undefined;
        this.objects.delete(object.metadata.name);
        return { next: 'resume', change: { type: 'deleted', object } };
    }
  }
}

export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** Pause before reconnect attempt `attempt` (0-based): doubling from initialMs, at most maxMs. */
export function backoffDelay(attempt: number, backoff: Backoff): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt, 30));
}

export interface InformerOptions {
  /** The collection, e.g. /apis/apps/v1/namespaces/<ns>/deployments. */
  readonly path: string;
  readonly labelSelector: string;
  /** The API server closes each watch after this long, and the informer resumes it (default 300). */
  readonly timeoutSeconds?: number;
  /** Default 250 ms doubling to 30 s. */
  readonly backoff?: Backoff;
  /** Every failed list or watch (the loop keeps trying). */
  readonly onError?: (err: unknown) => void;
  /** After the cache changed: a watch event applied, or a list replaced it. */
  readonly onChange?: () => void;
}

/** Counts of what the loop did, for tests and the benchmark. */
export interface InformerCounts {
  lists: number;
  watches: number;
  events: number;
  errors: number;
}

const DEFAULT_BACKOFF: Backoff = { initialMs: 250, maxMs: 30_000 };

export class Informer<T extends KubeObject & { metadata: { resourceVersion?: string } }> {
  readonly cache = new ObjectCache<T>();
  readonly counts: InformerCounts = { lists: 0, watches: 0, events: 0, errors: 0 };
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly options: InformerOptions,
  ) {}

  /** Set once the first list is in the cache, until stop(). */
  get running(): boolean {
    return this.loop !== undefined;
  }

  /** Lists once (a failure here is thrown: forbidden, unreachable), then watches until stop(). */
  async start(): Promise<void> {
    if (this.loop) return;
    const abort = new AbortController();
    await this.list();
    this.abort = abort;
    this.loop = this.run(abort.signal);
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
    this.abort = undefined;
    this.loop = undefined;
  }

  private async list(): Promise<void> {
    const items: T[] = [];
    let token: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.client.request<{ items: T[]; metadata: { continue?: string; resourceVersion?: string } }>(
        'GET',
        this.options.path,
        { query: { labelSelector: this.options.labelSelector, limit: 500, continue: token } },
      );
      items.push(...page.items);
      // Every page of one list is the same snapshot: its resourceVersion is where the watch starts.
      resourceVersion ||= page.metadata.resourceVersion ?? '';
      token = page.metadata.continue || undefined;
    } while (token);
    this.counts.lists++;
    this.cache.replace(items, resourceVersion);
    this.options.onChange?.();
  }

  private async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (!this.cache.resourceVersion) await this.list();
        const opened = Date.now();
        const events = this.counts.events;
        await this.watchOnce(signal);
        // A stream the server ends at once, again and again, is backed off like a failure.
        failures = Date.now() - opened < 1000 && this.counts.events === events ? failures + 1 : 0;
      } catch (err) {
        if (signal.aborted) return;
        if (httpStatus(err) === 410) {
          this.cache.expire();
          continue;
        }
        this.counts.errors++;
        this.options.onError?.(err);
        failures++;
      }
      if (failures > 0) await pause(backoffDelay(failures - 1, this.options.backoff ?? DEFAULT_BACKOFF), signal);
    }
  }

  /** One watch stream; a client-side guard ends it if the server goes silent past its own timeout. */
  private async watchOnce(signal: AbortSignal): Promise<void> {
    const timeoutSeconds = this.options.timeoutSeconds ?? 300;
    const stream = new AbortController();
    const stopStream = (): void => stream.abort();
    signal.addEventListener('abort', stopStream, { once: true });
    let silence: NodeJS.Timeout | undefined;
    const heard = (): void => {
      clearTimeout(silence);
      silence = setTimeout(stopStream, (timeoutSeconds + 30) * 1000);
    };
    heard();
    this.counts.watches++;
    try {
      await this.client.watch<T | WatchStatus>(
        this.options.path,
        { labelSelector: this.options.labelSelector, resourceVersion: this.cache.resourceVersion, timeoutSeconds },
        (event) => {
          heard();
          this.counts.events++;
          const applied = this.cache.apply(event);
          if (applied.change) this.options.onChange?.();
          if (applied.next === 'relist') stream.abort();
        },
        stream.signal,
      );
    } finally {
      clearTimeout(silence);
      signal.removeEventListener('abort', stopStream);
    }
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
