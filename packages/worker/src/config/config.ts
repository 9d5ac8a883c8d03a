import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WorkerError } from '../errors/index.js';
import { parseBytes, parseDurationMs } from './units.js';

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

/** Where inputs are read and outputs written: `s3://bucket/prefix` or `file:///path`. */
export interface StorageConfig {
  readonly url: string;
  /** S3 endpoint for S3-compatible stores such as MinIO (path-style addressing is used). */
  readonly endpoint?: string;
  readonly region?: string;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
}

/** Everything a running worker needs, resolved once: code options, then SWITCHYARD_* env, then defaults. */
export interface WorkerConfig {
  readonly service: string;
  readonly version: string;
  readonly env: string;
  readonly workerClass: WorkerClassName;
  readonly brokerUrl: string;
  readonly queue: string;
  /** Empty when the worker has no fallback class: limits are then dead-lettered. */
  readonly fallbackQueue: string;
  readonly deadLetterQueue: string;
  /** Also the number of tasks run at once, each in its own task process. */
  readonly prefetch: number;
  readonly limits: ClassLimits;
  readonly retry: RetryPolicy;
  /** Redeliveries without an answer (a task that kills its worker) before the broker dead-letters it. */
  readonly deliveryLimit: number;
  /** 0 picks a free port; undefined serves nothing. */
  readonly metricsPort: number | undefined;
  readonly storage: StorageConfig;
  readonly shutdownGraceMs: number;
  /** One JSON line per finished task attempt, read by `switchyard workers calibrate`. */
  readonly statsFile: string | undefined;
}

export interface ClassLimitsInput {
  readonly timeout?: string | number;
  readonly memory?: string | number;
}

/** What code may set explicitly; each field overrides the matching environment variable. */
export interface WorkerOptions {
  readonly service?: string;
  readonly version?: string;
  readonly env?: string;
  readonly workerClass?: WorkerClassName;
  readonly brokerUrl?: string;
  readonly queue?: string;
  readonly fallbackQueue?: string;
  readonly deadLetterQueue?: string;
  readonly prefetch?: number;
  readonly normal?: ClassLimitsInput;
  readonly fallback?: ClassLimitsInput | false;
  readonly retry?: { readonly attempts?: number; readonly initialDelay?: string | number; readonly maxDelay?: string | number };
  readonly deliveryLimit?: number;
  readonly metricsPort?: number | false;
  readonly storage?: string | StorageConfig;
  readonly shutdownGrace?: string | number;
  readonly statsFile?: string | false;
}

export const WORKER_DEFAULTS = {
  prefetch: 1,
  normal: { timeoutMs: 20_000, memoryBytes: 500 * 2 ** 20 },
  fallback: { timeoutMs: 300_000, memoryBytes: 2 * 2 ** 30 },
  retry: { attempts: 5, initialDelayMs: 1_000, maxDelayMs: 300_000 },
  deliveryLimit: 5,
  metricsPort: 9464,
  /** Added to the class's timeout: a task that started just before SIGTERM can still finish. */
  shutdownGraceExtraMs: 5_000,
  brokerUrl: 'amqp://localhost:5672',
} as const;

type Env = Readonly<Record<string, string | undefined>>;

function invalid(name: string, value: unknown, expected: string): WorkerError {
  return new WorkerError('SWY_WORKER_CONFIG', { message: `${name} is ${JSON.stringify(value)}; expected ${expected}`, details: { name, value } });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function duration(name: string, value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'number' ? value : parseDurationMs(value);
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) throw invalid(name, value, 'a positive duration such as 20s, 2m or 250ms');
  return ms;
}

function bytes(name: string, value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : parseBytes(value);
  if (n === undefined || !Number.isFinite(n) || n <= 0) throw invalid(name, value, 'a positive byte count such as 536870912 or 512Mi');
  return n;
}

function integer(name: string, value: string | number | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw invalid(name, value, `a whole number from ${min} to ${max}`);
  return n;
}

function storageFrom(options: WorkerOptions, env: Env, service: string): StorageConfig {
  const given = options.storage;
  const fromEnv = {
    endpoint: nonEmpty(env.SWITCHYARD_S3_ENDPOINT) ?? nonEmpty(env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(env.AWS_ENDPOINT_URL),
    region: nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION),
    accessKeyId: nonEmpty(env.AWS_ACCESS_KEY_ID),
    secretAccessKey: nonEmpty(env.AWS_SECRET_ACCESS_KEY),
  };
  const url = typeof given === 'string' ? given : given?.url ?? nonEmpty(env.SWITCHYARD_STORAGE_URL) ?? pathToFileURL(join(tmpdir(), 'switchyard-storage', service)).href;
  if (!/^(s3:\/\/[^/]+|file:\/\/\/)/.test(url)) throw invalid('SWITCHYARD_STORAGE_URL', url, 's3://bucket/prefix or file:///path');
  const explicit = typeof given === 'object' ? given : {};
  const merged = { ...fromEnv, ...explicit, url };
  return Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)) as unknown as StorageConfig;
}

/** Resolves a worker's configuration; throws SWY_WORKER_CONFIG naming the variable at fault. */
export function resolveConfig(options: WorkerOptions = {}, env: Env = process.env): WorkerConfig {
  const service = options.service ?? nonEmpty(env.SWITCHYARD_SERVICE) ?? 'worker';
  const classText = options.workerClass ?? nonEmpty(env.SWITCHYARD_WORKER_CLASS) ?? 'normal';
  if (classText !== 'normal' && classText !== 'fallback') throw invalid('SWITCHYARD_WORKER_CLASS', classText, 'normal or fallback');
  const workerClass: WorkerClassName = classText;
  const queue = options.queue ?? nonEmpty(env.SWITCHYARD_QUEUE);
  if (!queue) throw invalid('SWITCHYARD_QUEUE', queue ?? '', 'the name of the queue to consume (or the queue option)');
  if (!/^[A-Za-z0-9._:-]{1,200}$/.test(queue)) throw invalid('SWITCHYARD_QUEUE', queue, 'letters, digits, . _ : - (at most 200)');

  // The fallback queue exists when code declares a fallback class or the platform names one.
  const envFallback = env.SWITCHYARD_FALLBACK_QUEUE;
  const fallbackQueue =
    options.fallback === false ? '' : options.fallbackQueue ?? (envFallback !== undefined ? envFallback.trim() : options.fallback ? `${queue}.fallback` : '');
  if (workerClass === 'fallback' && !fallbackQueue) throw invalid('SWITCHYARD_FALLBACK_QUEUE', fallbackQueue, 'the fallback queue\'s name when SWITCHYARD_WORKER_CLASS is fallback');

  const classInput = workerClass === 'normal' ? options.normal : options.fallback || undefined;
  const defaults = WORKER_DEFAULTS[workerClass];
  const limits: ClassLimits = {
    timeoutMs: duration('timeout', classInput?.timeout) ?? duration('SWITCHYARD_TASK_TIMEOUT', nonEmpty(env.SWITCHYARD_TASK_TIMEOUT)) ?? defaults.timeoutMs,
    memoryBytes: bytes('memory', classInput?.memory) ?? bytes('SWITCHYARD_TASK_MEMORY_BYTES', nonEmpty(env.SWITCHYARD_TASK_MEMORY_BYTES)) ?? defaults.memoryBytes,
  };
  const retry: RetryPolicy = {
    attempts: integer('retry.attempts', options.retry?.attempts, 1, 100) ?? integer('SWITCHYARD_RETRY_ATTEMPTS', nonEmpty(env.SWITCHYARD_RETRY_ATTEMPTS), 1, 100) ?? WORKER_DEFAULTS.retry.attempts,
    initialDelayMs: duration('retry.initialDelay', options.retry?.initialDelay) ?? duration('SWITCHYARD_RETRY_INITIAL_DELAY', nonEmpty(env.SWITCHYARD_RETRY_INITIAL_DELAY)) ?? WORKER_DEFAULTS.retry.initialDelayMs,
    maxDelayMs: duration('retry.maxDelay', options.retry?.maxDelay) ?? duration('SWITCHYARD_RETRY_MAX_DELAY', nonEmpty(env.SWITCHYARD_RETRY_MAX_DELAY)) ?? WORKER_DEFAULTS.retry.maxDelayMs,
  };
  if (retry.maxDelayMs < retry.initialDelayMs) throw invalid('SWITCHYARD_RETRY_MAX_DELAY', retry.maxDelayMs, `at least the initial delay (${retry.initialDelayMs}ms)`);

  const metricsPort =
    options.metricsPort === false ? undefined : integer('metricsPort', options.metricsPort, 0, 65535) ?? integer('SWITCHYARD_METRICS_PORT', nonEmpty(env.SWITCHYARD_METRICS_PORT), 0, 65535) ?? WORKER_DEFAULTS.metricsPort;
  const statsFile = options.statsFile === false ? undefined : options.statsFile ?? nonEmpty(env.SWITCHYARD_TASK_STATS_FILE);

  return {
    service,
    version: options.version ?? nonEmpty(env.SWITCHYARD_VERSION) ?? '0.0.0',
    env: options.env ?? nonEmpty(env.SWITCHYARD_ENV) ?? 'local',
    workerClass,
    brokerUrl: options.brokerUrl ?? nonEmpty(env.SWITCHYARD_AMQP_URL) ?? WORKER_DEFAULTS.brokerUrl,
    queue,
    fallbackQueue,
    deadLetterQueue: options.deadLetterQueue ?? nonEmpty(env.SWITCHYARD_DEAD_LETTER_QUEUE) ?? `${queue}.dead`,
    prefetch: integer('prefetch', options.prefetch, 1, 1000) ?? integer('SWITCHYARD_PREFETCH', nonEmpty(env.SWITCHYARD_PREFETCH), 1, 1000) ?? WORKER_DEFAULTS.prefetch,
    limits,
    retry,
    deliveryLimit: integer('deliveryLimit', options.deliveryLimit, 1, 1000) ?? integer('SWITCHYARD_DELIVERY_LIMIT', nonEmpty(env.SWITCHYARD_DELIVERY_LIMIT), 1, 1000) ?? WORKER_DEFAULTS.deliveryLimit,
    metricsPort,
    storage: storageFrom(options, env, service),
    shutdownGraceMs:
      duration('shutdownGrace', options.shutdownGrace) ?? duration('SWITCHYARD_SHUTDOWN_GRACE', nonEmpty(env.SWITCHYARD_SHUTDOWN_GRACE)) ?? limits.timeoutMs + WORKER_DEFAULTS.shutdownGraceExtraMs,
    statsFile,
  };
}
