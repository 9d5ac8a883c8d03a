import type { Readable } from 'node:stream';
import type { z } from 'zod';
import type { WorkerClassName, WorkerOptions } from './config/index.js';
import type { OutputBody } from './storage/index.js';

/** One task as the handler sees it. */
export interface Task<P> {
  readonly id: string;
  readonly payload: P;
  /** The input object's key (from the declaration's `input`), if the task has one. */
  readonly inputKey: string | undefined;
  /** Streams the input object from storage; read it once. */
  input(): Readable;
}

export interface TaskContext {
  readonly taskId: string;
  readonly workerClass: WorkerClassName;
  /** 1 for the first attempt of the task, counting every class. */
  readonly attempt: number;
  /** Reports progress from 0 to 1: a log line and the task-progress gauge. */
  progress(ratio: number, note?: string): void;
  log(msg: string, fields?: Record<string, unknown>): void;
}

/** Handlers return the task's output (written once to `output(task)`), or nothing for an empty one. */
export type Handler<P> = (task: Task<P>, ctx: TaskContext) => Promise<OutputBody | void> | OutputBody | void;

/**
 * A worker: a typed business function and what the SDK needs to run it. Everything but
 * `payload` and `handler` may come from the platform's SWITCHYARD_* environment instead.
 */
export interface WorkerDefinition<S extends z.ZodType = z.ZodType> extends WorkerOptions {
  /** Validates each task's payload; a task that fails goes straight to the dead-letter queue. */
  readonly payload: S;
  /** The key of the task's input object, if it has one. */
  readonly input?: (payload: z.output<S>) => string | undefined;
  /** The key of the task's output object; must depend on the task only. Default `outputs/<task id>`. */
  readonly output?: (task: { readonly id: string; readonly payload: z.output<S> }) => string;
  readonly handler: Handler<z.output<S>>;
}

export function defineWorker<S extends z.ZodType>(definition: WorkerDefinition<S>): WorkerDefinition<S> {
  return definition;
}

export function outputKeyOf<S extends z.ZodType>(
  definition: WorkerDefinition<S>,
  id: string,
  payload: z.output<S>,
): string {
  return definition.output ? definition.output({ id, payload }) : `outputs/${id}`;
}
