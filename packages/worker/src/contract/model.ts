/** The vocabulary the platform and a worker share. */

export type WorkerClassName = 'normal' | 'fallback';

export interface ClassLimits {
  /** Longest a task may run in this class. */
  readonly timeoutMs: number;
  /** Resident memory one task process may use in this class. */
  readonly memoryBytes: number;
}

export interface RetryPolicy {
  /** Tries of a task in one class before it is dead-lettered (transient failures only). */
  readonly attempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}
