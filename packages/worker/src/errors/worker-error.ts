import { workerCatalogue, type WorkerErrorCode } from './catalogue.js';

export interface WorkerErrorOptions {
  readonly message?: string;
  readonly hint?: string;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

/** An error with a stable code, a status and a hint, as every Switchyard error has. */
export class WorkerError extends Error {
  readonly code: WorkerErrorCode;
  readonly status: number;
  readonly hint: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: WorkerErrorCode, options: WorkerErrorOptions = {}) {
    const entry = workerCatalogue[code];
    super(options.message ?? entry.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WorkerError';
    this.code = code;
    this.status = entry.status;
    this.hint = options.hint ?? entry.hint;
    this.details = options.details ?? {};
  }

  toJSON(): { code: WorkerErrorCode; message: string; hint: string; details?: Readonly<Record<string, unknown>> } {
    return {
      code: this.code,
      message: this.message,
      hint: this.hint,
      ...(Object.keys(this.details).length ? { details: this.details } : {}),
    };
  }
}

/** Thrown by a handler for a task that can never succeed: it goes straight to the dead-letter queue. */
export class PermanentError extends WorkerError {
  constructor(message: string, options: Omit<WorkerErrorOptions, 'message'> = {}) {
    super('SWY_WORKER_PERMANENT', { ...options, message });
    this.name = 'PermanentError';
  }
}

/** Thrown by a handler for a task its class cannot handle: the normal class escalates it to the fallback class. */
export class TooBigForClass extends WorkerError {
  constructor(message: string, options: Omit<WorkerErrorOptions, 'message'> = {}) {
    super('SWY_WORKER_TOO_BIG', { ...options, message });
    this.name = 'TooBigForClass';
  }
}

export function isWorkerError(err: unknown): err is WorkerError {
  return err instanceof WorkerError;
}
