import { formatDuration } from '../units/index.js';
import type { WorkerClassName } from './model.js';
import { bytes, duration, integer, RANGE, workerClass, type Env, type Range } from './values.js';

/**
 * The environment contract between the platform and a worker: one SWITCHYARD_* variable per
 * setting, how the platform writes it (`encodeWorkerEnv`, used by the renderer and the local
 * runtime) and how the SDK reads it back (`decodeWorkerEnv`, used by `resolveConfig`).
 * Durations are written in the largest exact unit (`20s`, `5m`), memory in bytes.
 */

/** Where the SDK serves /ready, /healthz and /metrics unless told otherwise: the port the platform probes. */
export const WORKER_METRICS_PORT = 9464;

interface Variable<T> {
  readonly name: string;
  decode(text: string, name: string): T;
  encode(value: T): string;
  /** Set but empty says something (no fallback queue); elsewhere blank means unset. */
  readonly emptyMeansNone?: boolean;
}

const text = (name: string, emptyMeansNone = false): Variable<string> => ({
  name,
  decode: (t) => t,
  encode: (v) => v,
  ...(emptyMeansNone ? { emptyMeansNone } : {}),
});
const whole = (name: string, range: Range): Variable<number> => ({
  name,
  decode: (t, n) => integer(n, t, range) as number,
  encode: String,
});
const milliseconds = (name: string): Variable<number> => ({
  name,
  decode: (t, n) => duration(n, t) as number,
  encode: formatDuration,
});
const byteCount = (name: string): Variable<number> => ({
  name,
  decode: (t, n) => bytes(n, t) as number,
  encode: String,
});
const className = (name: string): Variable<WorkerClassName> => ({
  name,
  decode: (t, n) => workerClass(n, t) as WorkerClassName,
  encode: (v) => v,
});

export const WORKER_ENV = {
  env: text('SWITCHYARD_ENV'),
  service: text('SWITCHYARD_SERVICE'),
  version: text('SWITCHYARD_VERSION'),
  workerClass: className('SWITCHYARD_WORKER_CLASS'),
  brokerUrl: text('SWITCHYARD_AMQP_URL'),
  queue: text('SWITCHYARD_QUEUE'),
  /** Empty: the worker has no fallback class, limits are dead-lettered. */
  fallbackQueue: text('SWITCHYARD_FALLBACK_QUEUE', true),
  deadLetterQueue: text('SWITCHYARD_DEAD_LETTER_QUEUE'),
  prefetch: whole('SWITCHYARD_PREFETCH', RANGE.prefetch),
  timeoutMs: milliseconds('SWITCHYARD_TASK_TIMEOUT'),
  memoryBytes: byteCount('SWITCHYARD_TASK_MEMORY_BYTES'),
  retryAttempts: whole('SWITCHYARD_RETRY_ATTEMPTS', RANGE.attempts),
  retryInitialDelayMs: milliseconds('SWITCHYARD_RETRY_INITIAL_DELAY'),
  retryMaxDelayMs: milliseconds('SWITCHYARD_RETRY_MAX_DELAY'),
  deliveryLimit: whole('SWITCHYARD_DELIVERY_LIMIT', RANGE.deliveryLimit),
  metricsPort: whole('SWITCHYARD_METRICS_PORT', RANGE.port),
  storageUrl: text('SWITCHYARD_STORAGE_URL'),
  s3Endpoint: text('SWITCHYARD_S3_ENDPOINT'),
  shutdownGraceMs: milliseconds('SWITCHYARD_SHUTDOWN_GRACE'),
  statsFile: text('SWITCHYARD_TASK_STATS_FILE'),
} as const;

type Contract = typeof WORKER_ENV;
type ValueOf<K extends keyof Contract> = Contract[K] extends Variable<infer T> ? T : never;

/** The contract's settings, each optional: a variable may be unset. */
export type WorkerEnv = { readonly [K in keyof Contract]?: ValueOf<K> };

/** What the platform sets for every class of a worker it runs; the rest is the runtime's choice. */
export type RenderedWorkerEnv = WorkerEnv &
  Required<
    Pick<
      WorkerEnv,
      | 'env'
      | 'service'
      | 'version'
      | 'workerClass'
      | 'queue'
      | 'fallbackQueue'
      | 'deadLetterQueue'
      | 'prefetch'
      | 'timeoutMs'
      | 'memoryBytes'
      | 'retryAttempts'
      | 'retryInitialDelayMs'
      | 'retryMaxDelayMs'
      | 'metricsPort'
    >
  >;

const KEYS = Object.keys(WORKER_ENV) as Array<keyof Contract>;

/** The variables for these settings, in the contract's order; unset settings write nothing. */
export function encodeWorkerEnv(settings: RenderedWorkerEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of KEYS) {
    const value = settings[key];
    const variable = WORKER_ENV[key] as Variable<unknown>;
    if (value !== undefined) env[variable.name] = variable.encode(value);
  }
  return env;
}

/** The settings the environment holds; throws SWY_WORKER_CONFIG naming the first malformed variable. */
export function decodeWorkerEnv(env: Env): WorkerEnv {
  const settings: Record<string, unknown> = {};
  for (const key of KEYS) {
    const variable: Variable<unknown> = WORKER_ENV[key];
    const raw = env[variable.name];
    const given = variable.emptyMeansNone ? raw?.trim() : raw?.trim() || undefined;
    if (given !== undefined) settings[key] = variable.decode(given, variable.name);
  }
  return settings as WorkerEnv;
}
