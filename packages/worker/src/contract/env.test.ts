import { describe, expect, it } from 'vitest';
import { resolveConfig, WORKER_DEFAULTS } from '../config/index.js';
import { WorkerError } from '../errors/index.js';
import { decodeWorkerEnv, encodeWorkerEnv, WORKER_ENV, type RenderedWorkerEnv } from './env.js';

/** Every setting of the contract, none equal to the SDK's default. */
const settings: Required<RenderedWorkerEnv> = {
  env: 'staging',
  service: 'thumbnailer',
  version: '2.0.1',
  workerClass: 'fallback',
  brokerUrl: 'amqp://broker:5672',
  queue: 'thumbs',
  fallbackQueue: 'thumbs.big',
  deadLetterQueue: 'thumbs.dlq',
  prefetch: 3,
  timeoutMs: 90_000,
  memoryBytes: 768 * 2 ** 20,
  retryAttempts: 7,
  retryInitialDelayMs: 1_500,
  retryMaxDelayMs: 45_000,
  deliveryLimit: 9,
  metricsPort: 9100,
  storageUrl: 's3://thumbs/tasks',
  s3Endpoint: 'http://minio:9000',
  shutdownGraceMs: 100_000,
  statsFile: '/var/lib/stats.jsonl',
};

describe('the worker environment contract', () => {
  it('writes one SWITCHYARD_* variable per setting, durations in their largest exact unit', () => {
    const env = encodeWorkerEnv(settings);
    expect(Object.keys(env)).toHaveLength(Object.keys(WORKER_ENV).length);
    expect(Object.keys(env).every((name) => name.startsWith('SWITCHYARD_'))).toBe(true);
    expect(env).toMatchObject({
      SWITCHYARD_TASK_TIMEOUT: '90s',
      SWITCHYARD_TASK_MEMORY_BYTES: '805306368',
      SWITCHYARD_RETRY_INITIAL_DELAY: '1500ms',
      SWITCHYARD_FALLBACK_QUEUE: 'thumbs.big',
    });
  });

  it('reads back exactly what it wrote', () => {
    expect(decodeWorkerEnv(encodeWorkerEnv(settings))).toEqual(settings);
    expect(decodeWorkerEnv(encodeWorkerEnv({ ...settings, fallbackQueue: '' })).fallbackQueue).toBe('');
  });

  it('gives resolveConfig the class, its limits, queues and retry policy, ahead of the defaults', () => {
    const config = resolveConfig({}, encodeWorkerEnv(settings));
    expect(config.limits).not.toEqual(WORKER_DEFAULTS.fallback);
    expect(config).toMatchObject({
      workerClass: 'fallback',
      queue: 'thumbs',
      fallbackQueue: 'thumbs.big',
      deadLetterQueue: 'thumbs.dlq',
      prefetch: 3,
      limits: { timeoutMs: 90_000, memoryBytes: 768 * 2 ** 20 },
      retry: { attempts: 7, initialDelayMs: 1_500, maxDelayMs: 45_000 },
      deliveryLimit: 9,
      metricsPort: 9100,
      brokerUrl: 'amqp://broker:5672',
      storage: { url: 's3://thumbs/tasks', endpoint: 'http://minio:9000' },
      shutdownGraceMs: 100_000,
      statsFile: '/var/lib/stats.jsonl',
    });
  });

  it('treats blank variables as unset, except the fallback queue where empty means none', () => {
    expect(
      decodeWorkerEnv({ SWITCHYARD_QUEUE: '  ', SWITCHYARD_PREFETCH: '', SWITCHYARD_FALLBACK_QUEUE: ' ' }),
    ).toEqual({ fallbackQueue: '' });
  });

  it.each([
    ['SWITCHYARD_TASK_TIMEOUT', '1.5ms'],
    ['SWITCHYARD_TASK_MEMORY_BYTES', '500m'],
    ['SWITCHYARD_PREFETCH', '2.5'],
    ['SWITCHYARD_WORKER_CLASS', 'large'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => decodeWorkerEnv({ [name]: value })).toThrow(WorkerError);
    expect(() => decodeWorkerEnv({ [name]: value })).toThrow(name);
  });

  it('reads Kubernetes memory quantities, exponents included', () => {
    expect(decodeWorkerEnv({ SWITCHYARD_TASK_MEMORY_BYTES: '129e6' }).memoryBytes).toBe(129_000_000);
  });
});
