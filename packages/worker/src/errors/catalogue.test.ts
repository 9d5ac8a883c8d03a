import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PermanentError, TooBigForClass, WorkerError, workerCatalogue, type WorkerErrorCode } from './index.js';

describe('worker error catalogue', () => {
  const codes = Object.keys(workerCatalogue) as WorkerErrorCode[];

  it.each(codes)('%s is well formed', (code) => {
    const entry = workerCatalogue[code];
    expect(code).toMatch(/^SWY_WORKER_[A-Z_]+$/);
    expect(entry.message.length).toBeGreaterThan(10);
    expect(entry.message).not.toMatch(/\.$/);
    expect(entry.hint).toMatch(/^[A-Z].*\.$/);
    expect(entry.status).toBeGreaterThanOrEqual(400);
  });

  it('has one anchor per code in the package README, and no stale ones', () => {
    const doc = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^### (SWY_WORKER_[A-Z_]+)$/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...codes].sort());
  });

  it('carries code, status and hint; the handler-facing errors keep their meaning', () => {
    const err = new WorkerError('SWY_WORKER_CONFIG', {
      message: 'SWITCHYARD_QUEUE is ""',
      details: { name: 'SWITCHYARD_QUEUE' },
    });
    expect(err.toJSON()).toEqual({
      code: 'SWY_WORKER_CONFIG',
      message: 'SWITCHYARD_QUEUE is ""',
      hint: workerCatalogue.SWY_WORKER_CONFIG.hint,
      details: { name: 'SWITCHYARD_QUEUE' },
    });
    expect(new PermanentError('not a video').code).toBe('SWY_WORKER_PERMANENT');
    expect(new TooBigForClass('4K').code).toBe('SWY_WORKER_TOO_BIG');
    expect(new TooBigForClass('4K')).toBeInstanceOf(WorkerError);
  });
});
