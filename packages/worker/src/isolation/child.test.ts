import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PermanentError, TooBigForClass, WorkerError } from '../errors/index.js';
import { classifyError } from './child.js';

describe('classifyError', () => {
  it('maps what a handler throws onto the escalation ladder', () => {
    expect(classifyError(new TooBigForClass('4K clip'))).toEqual({ kind: 'too-big', code: 'SWY_WORKER_TOO_BIG', reason: '4K clip' });
    expect(classifyError(new PermanentError('not a video'))).toEqual({ kind: 'permanent', code: 'SWY_WORKER_PERMANENT', reason: 'not a video' });
    expect(classifyError(new WorkerError('SWY_WORKER_STORAGE_UNAVAILABLE'))).toMatchObject({ kind: 'transient', code: 'SWY_WORKER_STORAGE_UNAVAILABLE' });
    expect(classifyError(new TypeError('x is undefined'))).toEqual({ kind: 'transient', code: 'SWY_WORKER_HANDLER_FAILED', reason: 'TypeError: x is undefined' });
  });

  it('treats a schema failure inside the handler as permanent, with the fields named', () => {
    const result = z.object({ width: z.number() }).safeParse({ width: 'wide' });
    expect(result.success).toBe(false);
    const outcome = classifyError(result.error);
    expect(outcome).toMatchObject({ kind: 'permanent', code: 'SWY_WORKER_PAYLOAD_INVALID' });
    expect(outcome.kind !== 'done' && outcome.reason).toMatch(/width/);
  });
});
