import type { QueueReadingSource } from '@switchyard/worker';
import { QueueHistory, type BrokerReading } from '../health/index.js';

/** Readings closer together than this share one request: /v1/health, a /metrics scrape and the alerts' timer at once. */
const FRESH_MS = 2_000;

/** Why a read failed, in the words of what failed first (`fetch failed: connect ECONNREFUSED …`, `… answered 401 …`). */
function reason(err: unknown): string {
  const chain: string[] = [];
  for (let e: unknown = err; e instanceof Error && chain.length < 4; e = e.cause) chain.push(e.message);
  return (chain.length > 1 ? chain.slice(1) : chain).join(': ') || String(err);
}

/**
 * The broker's queues as health reads them: one request for every queue, at most every
 * FRESH_MS (concurrent evaluations share it), kept in a history so waiting ages and growth
 * can be told. A broker out of reach is a reading of its own, never a failed evaluation.
 */
export class BrokerWatch {
  private readonly history = new QueueHistory();
  private last: { readonly at: number; readonly error?: string } | undefined;
  private pending: Promise<void> | undefined;

  constructor(private readonly source: QueueReadingSource) {}

  async read(now: Date): Promise<BrokerReading> {
    if (!this.last || now.getTime() - this.last.at >= FRESH_MS) {
      this.pending ??= this.refresh(now).finally(() => (this.pending = undefined));
      await this.pending;
    }
    const error = this.last?.error;
    if (error !== undefined) return { reachable: false, at: this.source.location, error };
    return {
      reachable: true,
      queues: new Map(
        this.history.queues().flatMap((q) => {
          const figures = this.history.figures(q, now);
          return figures ? [[q, figures] as const] : [];
        }),
      ),
    };
  }

  private async refresh(now: Date): Promise<void> {
    try {
      this.history.record(await this.source.readings(), now);
      this.last = { at: now.getTime() };
    } catch (err) {
      this.last = { at: now.getTime(), error: reason(err) };
    }
  }
}
