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
