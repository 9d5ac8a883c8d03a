/**
 * What fleet health keeps of the broker's queues from one reading to the next, so that figures
 * the broker does not give for quorum queues can be told: how long the oldest waiting task has
 * waited, how much a dead-letter queue grew and how often tasks were redelivered in a window.
 */

/** One queue as the broker counts it (the worker SDK's QueueReading). */
export interface QueueCount {
  readonly queue: string;
  readonly ready: number;
  readonly unacked: number;
  /** Deliveries so far, redeliveries included: a counter. */
  readonly delivered: number;
  readonly redelivered: number;
}

/** A queue's figures for health at one time. */
export interface QueueFigures {
  readonly queue: string;
  readonly ready: number;
  readonly unacked: number;
  /** How long the oldest waiting task has waited at least (0 with nothing waiting). */
  readonly oldestWaitingMs: number;
  /** Messages the queue holds more than at the start of the window (negative when it shrank). */
  readonly growth: number;
  /** Redeliveries within the window. */
  readonly redeliveries: number;
  /** How far back growth and redeliveries look: the window, or less since the first reading. */
  readonly windowMs: number;
}

interface Sample {
  readonly at: number;
  readonly depth: number;
  /** Tasks taken from the queue for the first time so far (deliveries less redeliveries). */
  readonly taken: number;
  /** Tasks that arrived so far: those taken plus those waiting. */
  readonly arrived: number;
  readonly redelivered: number;
}

/** How far back dead-letter growth and redeliveries look. */
export const QUEUE_WINDOW_MS = 15 * 60_000;

const sampleOf = (c: QueueCount, at: number): Sample => {
  const taken = Math.max(0, c.delivered - c.redelivered);
  return { at, depth: c.ready + c.unacked, taken, arrived: taken + c.ready, redelivered: c.redelivered };
};

const sameCounts = (a: Sample, b: Sample) =>
  a.depth === b.depth && a.taken === b.taken && a.arrived === b.arrived && a.redelivered === b.redelivered;

/**
 * The readings of every queue over time. A queue is first in, first out, so the oldest waiting
 * task is the one after the `taken` tasks taken so far: it had arrived by the first reading
 * whose `arrived` count reaches it, and it has waited at least since then. Readings that
 * change nothing are not kept, so a queue nobody works keeps one reading however long it waits.
 */
export class QueueHistory {
  private readonly samples = new Map<string, Sample[]>();

  constructor(private readonly windowMs = QUEUE_WINDOW_MS) {}

  /** Takes one reading of every queue; queues missing from it are forgotten. */
  record(counts: readonly QueueCount[], now: Date): void {
    const at = now.getTime();
    const seen = new Set<string>();
    for (const c of counts) {
      seen.add(c.queue);
      const sample = sampleOf(c, at);
      const kept = this.samples.get(c.queue) ?? [];
      const last = kept.at(-1);
      // Counters that go back: the broker restarted or the queue was declared again. Start afresh.
      if (last && (sample.taken < last.taken || sample.redelivered < last.redelivered || sample.arrived < last.taken)) {
        this.samples.set(c.queue, [sample]);
        continue;
      }
      if (!last || !sameCounts(last, sample)) kept.push(sample);
      this.samples.set(c.queue, this.pruned(kept, sample, at));
    }
    for (const queue of [...this.samples.keys()]) if (!seen.has(queue)) this.samples.delete(queue);
  }

  /** Drops what neither the window nor the oldest waiting task needs. */
  private pruned(kept: Sample[], now: Sample, at: number): Sample[] {
    const forAge = kept.findIndex((s) => s.arrived >= now.taken + 1);
    // The last reading before the window stays: it is what the window's start looked like.
    const forWindow = Math.max(
      0,
      kept.findLastIndex((s) => s.at < at - this.windowMs),
    );
    const from = Math.min(forAge === -1 ? kept.length - 1 : forAge, forWindow);
    return from > 0 ? kept.slice(from) : kept;
  }

  /** Every queue of the last reading. */
  queues(): string[] {
    return [...this.samples.keys()];
  }

  /** The figures of `queue` now; undefined for a queue never read. */
  figures(queue: string, now: Date): QueueFigures | undefined {
    const kept = this.samples.get(queue);
    const last = kept?.at(-1);
    if (!kept || !last) return undefined;
    const at = now.getTime();
    const ready = last.arrived - last.taken;
    const arrivedBy = kept.find((s) => s.arrived >= last.taken + 1);
    // What the queue held when the window began: the last reading before it, else the first one.
    const first = kept[0] as Sample;
    const baseline = kept.findLast((s) => s.at < at - this.windowMs) ?? first;
    return {
      queue,
      ready,
      unacked: last.depth - ready,
      oldestWaitingMs: ready > 0 && arrivedBy ? Math.max(0, at - arrivedBy.at) : 0,
      growth: last.depth - baseline.depth,
      redeliveries: last.redelivered - baseline.redelivered,
      windowMs: Math.min(this.windowMs, Math.max(0, at - first.at)),
    };
  }
}
