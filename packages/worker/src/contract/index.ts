/**
 * The contract between the platform and a worker, free of effects so that the platform's
 * renderer can import it: the environment's variables with their encoding, the checks both
 * sides apply, and the shared vocabulary.
 */
export {
  decodeWorkerEnv,
  encodeWorkerEnv,
  WORKER_ENV,
  WORKER_METRICS_PORT,
  type RenderedWorkerEnv,
  type WorkerEnv,
} from './env.js';
export type { ClassLimits, RetryPolicy, WorkerClassName } from './model.js';
export { bytes, duration, integer, invalid, nonEmpty, RANGE, workerClass, type Env, type Range } from './values.js';
