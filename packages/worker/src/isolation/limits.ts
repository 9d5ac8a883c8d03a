import type { WorkerClassName } from '../contract/index.js';

/** A class's limits as the pool enforces them on each task process. */
export interface RunLimits {
  readonly workerClass: WorkerClassName;
  readonly timeoutMs: number;
  readonly memoryBytes: number;
}

/** Why the worker killed a task process; none when it died on its own. */
export type KillReason = 'time' | 'memory' | 'interrupt' | 'recycle' | 'close';

/** V8's own heap limit, below the RSS limit so a heap overflow is caught as a clean abort. */
export function heapLimitMb(memoryBytes: number): number {
  return Math.max(16, Math.floor((memoryBytes * 0.75) / 2 ** 20));
}
