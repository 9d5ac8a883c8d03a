import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  bytes,
  decodeWorkerEnv,
  duration,
  integer,
  invalid,
  nonEmpty,
  RANGE,
  workerClass as checkClass,
  type ClassLimits,
  type Env,
  type RetryPolicy,
  type WorkerClassName,
  type WorkerEnv,
  WORKER_METRICS_PORT,
} from '../contract/index.js';

export type { ClassLimits, RetryPolicy, WorkerClassName } from '../contract/index.js';

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
  readonly retry?: {
    readonly attempts?: number;
    readonly initialDelay?: string | number;
    readonly maxDelay?: string | number;
  };
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
  metricsPort: WORKER_METRICS_PORT,
  /** Added to the class's timeout: a task that started just before SIGTERM can still finish. */
  shutdownGraceExtraMs: 5_000,
  brokerUrl: 'amqp://localhost:5672',
} as const;

function storageFrom(options: WorkerOptions, env: Env, given: WorkerEnv, service: string): StorageConfig {
  const stored = options.storage;
  const fromEnv = {
    endpoint: given.s3Endpoint ?? nonEmpty(env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(env.AWS_ENDPOINT_URL),
    region: nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION),
    accessKeyId: nonEmpty(env.AWS_ACCESS_KEY_ID),
    secretAccessKey: nonEmpty(env.AWS_SECRET_ACCESS_KEY),
  };
  const url =
    typeof stored === 'string'
      ? stored
      : (stored?.url ?? given.storageUrl ?? pathToFileURL(join(tmpdir(), 'switchyard-storage', service)).href);
  if (!/^(s3:\/\/[^/]+|file:\/\/\/)/.test(url))
    throw invalid('SWITCHYARD_STORAGE_URL', url, 's3://bucket/prefix or file:///path');
  const explicit = typeof stored === 'object' ? stored : {};
  const merged = { ...fromEnv, ...explicit, url };
  return Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)) as unknown as StorageConfig;
}

/**
 * Resolves a worker's configuration: code options, then the platform's environment (read
 * through the contract, `decodeWorkerEnv`), then defaults. Throws SWY_WORKER_CONFIG naming
 * the option or variable at fault.
 */
export function resolveConfig(options: WorkerOptions = {}, env: Env = process.env): WorkerConfig {
  const given = decodeWorkerEnv(env);
  const service = options.service ?? given.service ?? 'worker';
  const workerClass: WorkerClassName =
    checkClass('SWITCHYARD_WORKER_CLASS', options.workerClass) ?? given.workerClass ?? 'normal';
  const queue = options.queue ?? given.queue;
  if (!queue) throw invalid('SWITCHYARD_QUEUE', queue ?? '', 'the name of the queue to consume (or the queue option)');
  if (!/^[A-Za-z0-9._:-]{1,200}$/.test(queue))
    throw invalid('SWITCHYARD_QUEUE', queue, 'letters, digits, . _ : - (at most 200)');

  // The fallback queue exists when code declares a fallback class or the platform names one.
  const fallbackQueue =
    options.fallback === false
      ? ''
      : (options.fallbackQueue ?? given.fallbackQueue ?? (options.fallback ? `${queue}.fallback` : ''));
  if (workerClass === 'fallback' && !fallbackQueue)
    throw invalid(
      'SWITCHYARD_FALLBACK_QUEUE',
      fallbackQueue,
      "the fallback queue's name when SWITCHYARD_WORKER_CLASS is fallback",
    );

  const classInput = workerClass === 'normal' ? options.normal : options.fallback || undefined;
  const defaults = WORKER_DEFAULTS[workerClass];
  const limits: ClassLimits = {
    timeoutMs: duration('timeout', classInput?.timeout) ?? given.timeoutMs ?? defaults.timeoutMs,
    memoryBytes: bytes('memory', classInput?.memory) ?? given.memoryBytes ?? defaults.memoryBytes,
  };
  const retry: RetryPolicy = {
    attempts:
      integer('retry.attempts', options.retry?.attempts, RANGE.attempts) ??
      given.retryAttempts ??
      WORKER_DEFAULTS.retry.attempts,
    initialDelayMs:
      duration('retry.initialDelay', options.retry?.initialDelay) ??
      given.retryInitialDelayMs ??
      WORKER_DEFAULTS.retry.initialDelayMs,
    maxDelayMs:
      duration('retry.maxDelay', options.retry?.maxDelay) ?? given.retryMaxDelayMs ?? WORKER_DEFAULTS.retry.maxDelayMs,
  };
  if (retry.maxDelayMs < retry.initialDelayMs)
    throw invalid(
      'SWITCHYARD_RETRY_MAX_DELAY',
      retry.maxDelayMs,
      `at least the initial delay (${retry.initialDelayMs}ms)`,
    );

  const metricsPort =
    options.metricsPort === false
      ? undefined
      : (integer('metricsPort', options.metricsPort, RANGE.port) ?? given.metricsPort ?? WORKER_DEFAULTS.metricsPort);
  const statsFile = options.statsFile === false ? undefined : (options.statsFile ?? given.statsFile);

  return {
    service,
    version: options.version ?? given.version ?? '0.0.0',
    env: options.env ?? given.env ?? 'local',
    workerClass,
    brokerUrl: options.brokerUrl ?? given.brokerUrl ?? WORKER_DEFAULTS.brokerUrl,
    queue,
    fallbackQueue,
    deadLetterQueue: options.deadLetterQueue ?? given.deadLetterQueue ?? `${queue}.dead`,
    prefetch: integer('prefetch', options.prefetch, RANGE.prefetch) ?? given.prefetch ?? WORKER_DEFAULTS.prefetch,
    limits,
    retry,
    deliveryLimit:
      integer('deliveryLimit', options.deliveryLimit, RANGE.deliveryLimit) ??
      given.deliveryLimit ??
      WORKER_DEFAULTS.deliveryLimit,
    metricsPort,
    storage: storageFrom(options, env, given, service),
    shutdownGraceMs:
      duration('shutdownGrace', options.shutdownGrace) ??
      given.shutdownGraceMs ??
      limits.timeoutMs + WORKER_DEFAULTS.shutdownGraceExtraMs,
    statsFile,
  };
}
