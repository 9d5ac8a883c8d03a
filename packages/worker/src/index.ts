/**
 * @switchyard/worker — write the business function, declare its queue and limits; the SDK
 * consumes, streams input, runs the task in an isolated process, writes the output once,
 * retries, escalates to the fallback class and dead-letters with a reason.
 */
export { defineWorker, type Handler, type Task, type TaskContext, type WorkerDefinition } from './definition.js';
export { runWorker, type RunWorkerOptions } from './run.js';
export { WorkerRuntime } from './runtime.js';
export { createTaskProducer, type TaskProducer } from './producer.js';
export {
  isWorkerError,
  PermanentError,
  TooBigForClass,
  WorkerError,
  workerCatalogue,
  type WorkerErrorCode,
} from './errors/index.js';
export {
  resolveConfig,
  WORKER_DEFAULTS,
  type ClassLimits,
  type RetryPolicy,
  type StorageConfig,
  type WorkerClassName,
  type WorkerConfig,
  type WorkerOptions,
} from './config/index.js';
export {
  formatCpu,
  formatDuration,
  formatMemory,
  parseCpu,
  parseDuration,
  parseMemory,
  parseQuantity,
} from './units/index.js';
export {
  decodeWorkerEnv,
  encodeWorkerEnv,
  WORKER_ENV,
  type RenderedWorkerEnv,
  type WorkerEnv,
} from './contract/index.js';
export {
  createObjectStore,
  LocalDirectoryStore,
  ObjectNotFound,
  S3Store,
  StorageUnavailable,
  type ObjectStore,
  type OutputBody,
} from './storage/index.js';
export {
  DEAD_LETTER_EXCHANGE,
  RabbitMqQueue,
  retryQueueName,
  type Delivery,
  type Queue,
  type QueueMessage,
  type QueueTopology,
} from './queue/index.js';
export { backoffDelayMs, bucketFor, delayBuckets } from './retry/backoff.js';
export {
  decide,
  describeDeadLetter,
  HEADER,
  parseEnvelope,
  type AttemptOutcome,
  type AttemptRecord,
  type AttemptResult,
  type DeadLetterInfo,
  type TaskAction,
  type TaskEnvelope,
} from './task/index.js';
export * from './autoscale/index.js';
export * from './calibrate/index.js';
export { appendStat, readStats, type TaskStat } from './stats/index.js';
export { createLogger, type Logger } from './observability/log.js';
