import { describe, expect, it } from 'vitest';
import { WorkerError } from '../errors/index.js';
import { resolveConfig } from './config.js';

/** What the platform's renderer (render/worker.ts) puts in a worker's environment. */
const contract = {
  SWITCHYARD_ENV: 'production',
  SWITCHYARD_SERVICE: 'encoding-worker',
  SWITCHYARD_VERSION: '5.3.1',
  SWITCHYARD_WORKER_CLASS: 'fallback',
  SWITCHYARD_QUEUE: 'encode',
  SWITCHYARD_FALLBACK_QUEUE: 'encode.fallback',
  SWITCHYARD_DEAD_LETTER_QUEUE: 'encode.dead',
  SWITCHYARD_PREFETCH: '3',
  SWITCHYARD_TASK_TIMEOUT: '5m',
  SWITCHYARD_TASK_MEMORY_BYTES: '2147483648',
  SWITCHYARD_RETRY_ATTEMPTS: '7',
  SWITCHYARD_RETRY_INITIAL_DELAY: '2s',
  SWITCHYARD_RETRY_MAX_DELAY: '2m',
  SWITCHYARD_METRICS_PORT: '9464',
  SWITCHYARD_STORAGE_URL: 's3://video-encoding/tasks',
};

describe('resolveConfig', () => {
  it('reads every variable of the platform contract', () => {
    const config = resolveConfig({}, contract);
    expect(config).toMatchObject({
      service: 'encoding-worker',
      version: '5.3.1',
      env: 'production',
      workerClass: 'fallback',
      queue: 'encode',
      fallbackQueue: 'encode.fallback',
      deadLetterQueue: 'encode.dead',
      prefetch: 3,
      limits: { timeoutMs: 300_000, memoryBytes: 2 * 2 ** 30 },
      retry: { attempts: 7, initialDelayMs: 2_000, maxDelayMs: 120_000 },
      metricsPort: 9464,
      storage: { url: 's3://video-encoding/tasks' },
      shutdownGraceMs: 305_000,
    });
  });

  it('lets explicit options in code override the environment', () => {
    const config = resolveConfig(
      {
        prefetch: 8,
        fallback: { timeout: '10s', memory: '512Mi' },
        retry: { attempts: 2 },
        metricsPort: false,
        storage: 'file:///tmp/x',
      },
      contract,
    );
    expect(config.prefetch).toBe(8);
    expect(config.limits).toEqual({ timeoutMs: 10_000, memoryBytes: 512 * 2 ** 20 });
    expect(config.retry.attempts).toBe(2);
    expect(config.metricsPort).toBeUndefined();
    expect(config.storage.url).toBe('file:///tmp/x');
  });

  it('has no fallback queue when the platform says so (empty variable)', () => {
    const config = resolveConfig(
      { fallback: { timeout: '1m' } },
      { ...contract, SWITCHYARD_WORKER_CLASS: 'normal', SWITCHYARD_FALLBACK_QUEUE: '' },
    );
    expect(config.fallbackQueue).toBe('');
  });

  it('derives queue names and the local store when only the queue is given', () => {
    const config = resolveConfig({ queue: 'thumbs', fallback: {} }, {});
    expect(config).toMatchObject({
      workerClass: 'normal',
      fallbackQueue: 'thumbs.fallback',
      deadLetterQueue: 'thumbs.dead',
      prefetch: 1,
      limits: { timeoutMs: 20_000 },
    });
    expect(config.storage.url).toMatch(/^file:\/\/\//);
  });

  it.each([
    [{ SWITCHYARD_QUEUE: '' }, 'SWITCHYARD_QUEUE'],
    [{ SWITCHYARD_WORKER_CLASS: 'huge' }, 'SWITCHYARD_WORKER_CLASS'],
    [{ SWITCHYARD_TASK_TIMEOUT: 'soon' }, 'SWITCHYARD_TASK_TIMEOUT'],
    [{ SWITCHYARD_TASK_MEMORY_BYTES: '-1' }, 'SWITCHYARD_TASK_MEMORY_BYTES'],
    [{ SWITCHYARD_PREFETCH: '0' }, 'SWITCHYARD_PREFETCH'],
    [{ SWITCHYARD_RETRY_MAX_DELAY: '1s' }, 'SWITCHYARD_RETRY_MAX_DELAY'],
    [{ SWITCHYARD_STORAGE_URL: 'gs://bucket' }, 'SWITCHYARD_STORAGE_URL'],
    [{ SWITCHYARD_FALLBACK_QUEUE: '' }, 'SWITCHYARD_FALLBACK_QUEUE'],
  ])('refuses %j naming the variable', (override, name) => {
    let caught: unknown;
    try {
      resolveConfig({}, { ...contract, ...override });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(WorkerError);
    expect((caught as WorkerError).code).toBe('SWY_WORKER_CONFIG');
    expect((caught as WorkerError).message).toContain(name);
  });
});
