import type { QueueDepth } from './decide.js';

/** What the autoscaler drives: a local process group, a Kubernetes Deployment's scale… */
export interface ScaleTarget {
  current(): Promise<{ replicas: number }>;
  /** Sets the replica count. Removing a replica must drain it (SIGTERM: it finishes its task first). */
  scaleTo(replicas: number): Promise<void>;
}

/** Where the depth of a queue is read. */
export interface QueueDepthSource {
  depth(queue: string): Promise<QueueDepth>;
  /** Releases connections the source holds. */
  close?(): Promise<void>;
}

/** One queue as the broker counts it: waiting and held messages, and deliveries since the queue's statistics began. */
export interface QueueReading {
  readonly queue: string;
  /** Messages waiting for a consumer. */
  readonly ready: number;
  /** Messages delivered and not yet answered. */
  readonly unacked: number;
  /** Deliveries so far, redeliveries included (a counter: it only grows, unless the broker's statistics restart). */
  readonly delivered: number;
  /** Deliveries of a message a consumer had already held and not answered (its worker died or gave it back). */
  readonly redelivered: number;
}

/** Where the figures of every queue of the broker are read at once (fleet health reads them). */
export interface QueueReadingSource {
  /** Where the figures are read, without credentials: what a person checks when they cannot be. */
  readonly location: string;
  readings(): Promise<QueueReading[]>;
}
