import { fileURLToPath } from 'node:url';
import { decodeWorkerEnv, resolveConfig } from '@switchyard/worker';
import { describe, expect, it } from 'vitest';
import { loadFleet } from '../config-dir/index.js';
import type { Worker } from '../spec/index.js';
import { workerEnv } from './index.js';

const EXAMPLE = fileURLToPath(new URL('../../../../examples/video-platform', import.meta.url));

/**
 * The platform writes a worker's environment with the SDK's encoder and the SDK reads it with
 * its own resolver: each class of the example's encoding worker gets back exactly what its
 * file says, none of it from the SDK's defaults.
 */
describe('the environment of a rendered worker, read by the SDK', async () => {
  const fleet = await loadFleet(EXAMPLE, 'production');
  const worker = fleet.units.find((u): u is Worker => u.kind === 'Worker' && u.name === 'encoding-worker');
  if (!worker?.fallback) throw new Error('the example fleet has no encoding worker with a fallback class');

  for (const cls of [worker.normal, worker.fallback]) {
    it(`gives the ${cls.name} class back its limits, queues and retry policy`, () => {
      const env = workerEnv(worker, cls);
      const config = resolveConfig({}, env);
      expect(config).toMatchObject({
        service: 'encoding-worker',
        version: worker.version,
        env: 'production',
        workerClass: cls.name,
      });
      expect(config.limits).toEqual({ timeoutMs: cls.timeoutMs, memoryBytes: cls.resources.memoryBytes });
      expect({
        queue: config.queue,
        fallbackQueue: config.fallbackQueue,
        deadLetterQueue: config.deadLetterQueue,
        prefetch: config.prefetch,
      }).toEqual({
        queue: 'encode',
        fallbackQueue: 'encode.fallback',
        deadLetterQueue: 'encode.dead',
        prefetch: worker.queue.prefetch,
      });
      expect(config.workerClass === 'normal' ? config.queue : config.fallbackQueue).toBe(cls.queue);
      expect(config.retry).toEqual(worker.retry);
      expect(config.storage.url).toBe(worker.storageUrl);

      // Every value came from the environment, none from a default of the SDK.
      expect(decodeWorkerEnv(env)).toMatchObject({
        timeoutMs: cls.timeoutMs,
        memoryBytes: cls.resources.memoryBytes,
        queue: worker.queue.name,
        fallbackQueue: worker.queue.fallback,
        deadLetterQueue: worker.queue.deadLetter,
        retryAttempts: worker.retry.attempts,
        retryInitialDelayMs: worker.retry.initialDelayMs,
        retryMaxDelayMs: worker.retry.maxDelayMs,
      });
    });
  }
});
