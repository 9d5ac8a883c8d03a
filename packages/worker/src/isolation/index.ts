/**
 * Task isolation: each task runs in a warm task process of its own, killed past its class's
 * time or memory limit without taking the worker down.
 */
export { serveTasks } from './child.js';
export type { PoolOutcome } from './outcome.js';
export { TaskPool, type PoolOptions } from './pool.js';
export { TASK_PROCESS_ENV } from './protocol.js';
export type { RunReport, RunRequest } from './task-run.js';
