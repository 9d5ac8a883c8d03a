export {
  resolveConfig,
  WORKER_DEFAULTS,
  type ClassLimits,
  type ClassLimitsInput,
  type RetryPolicy,
  type StorageConfig,
  type WorkerClassName,
  type WorkerConfig,
  type WorkerOptions,
} from './config.js';
