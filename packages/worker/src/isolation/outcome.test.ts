import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PermanentError, TooBigForClass, WorkerError } from '../errors/index.js';
import { ObjectNotFound, StorageUnavailable } from '../storage/index.js';
import { classifyError, exitOutcome, withInputError, type ProcessExit } from './outcome.js';

describe('classifyError', () => {
  it('maps what a handler throws onto the escalation ladder', () => {
    expect(classifyError(new TooBigForClass('4K clip'))).toEqual({
      kind: 'too-big',
      code: 'SWY_WORKER_TOO_BIG',
      reason: '4K clip',
    });
    expect(classifyError(new PermanentError('not a video'))).toEqual({
      kind: 'permanent',
      code: 'SWY_WORKER_PERMANENT',
      reason: 'not a video',
    });
    expect(classifyError(new WorkerError('SWY_WORKER_STORAGE_UNAVAILABLE'))).toMatchObject({
      kind: 'transient',
      code: 'SWY_WORKER_STORAGE_UNAVAILABLE',
    });
    expect(classifyError(new TypeError('x is undefined'))).toEqual({
      kind: 'transient',
      code: 'SWY_WORKER_HANDLER_FAILED',
      reason: 'TypeError: x is undefined',
    });
  });

  it('treats a schema failure inside the handler as permanent, with the fields named', () => {
    const result = z.object({ width: z.number() }).safeParse({ width: 'wide' });
    expect(result.success).toBe(false);
    const outcome = classifyError(result.error);
    expect(outcome).toMatchObject({ kind: 'permanent', code: 'SWY_WORKER_PAYLOAD_INVALID' });
    expect(outcome.reason).toMatch(/width/);
  });
});

describe('withInputError', () => {
  const cut = {
    kind: 'transient',
    code: 'SWY_WORKER_HANDLER_FAILED',
    reason: 'StreamCut: input stream was cut before its end',
  } as const;

  it('names the storage failure behind a cut input', () => {
    expect(withInputError(cut, new ObjectNotFound('clips/1.mp4'))).toEqual({
      kind: 'permanent',
      code: 'SWY_WORKER_INPUT_NOT_FOUND',
      reason: 'input clips/1.mp4 does not exist',
    });
    expect(withInputError(cut, new StorageUnavailable('503 from S3'))).toEqual({
      kind: 'transient',
      code: 'SWY_WORKER_STORAGE_UNAVAILABLE',
      reason: '503 from S3',
    });
  });

  it('keeps what the handler said when the input was fine, or when it declared a limit or a permanent failure', () => {
    expect(withInputError(cut, undefined)).toBe(cut);
    const tooBig = { kind: 'too-big', code: 'SWY_WORKER_TOO_BIG', reason: '4K' } as const;
    expect(withInputError(tooBig, new ObjectNotFound('x'))).toBe(tooBig);
  });
});

describe('exitOutcome', () => {
  const limits = { workerClass: 'normal', timeoutMs: 2_000, memoryBytes: 256 * 2 ** 20 } as const;
  const exit = (over: Partial<ProcessExit>): ProcessExit => ({
    killedFor: undefined,
    code: null,
    signal: 'SIGKILL',
    stderrTail: '',
    ranMs: 2_100,
    peakRssBytes: undefined,
    ...over,
  });

  it('names the limit the worker killed the task process for', () => {
    expect(exitOutcome(exit({ killedFor: 'time' }), limits)).toEqual({
      kind: 'time-limit',
      code: 'SWY_WORKER_TIME_LIMIT',
      reason: "ran 2100ms, past the normal class's 2s",
    });
    expect(exitOutcome(exit({ killedFor: 'memory', peakRssBytes: 300 * 2 ** 20 }), limits)).toEqual({
      kind: 'memory-limit',
      code: 'SWY_WORKER_MEMORY_LIMIT',
      reason: "reached 300Mi resident, past the normal class's 256Mi",
    });
    expect(exitOutcome(exit({ killedFor: 'interrupt' }), limits)).toEqual({
      kind: 'interrupted',
      reason: 'the worker is shutting down',
    });
    expect(exitOutcome(exit({ killedFor: 'close' }), limits).kind).toBe('interrupted');
  });

  it('tells a heap overflow and an outside SIGKILL (memory) from a crash', () => {
    expect(
      exitOutcome(exit({ signal: 'SIGABRT', stderrTail: 'FATAL ERROR: Reached heap limit Allocation failed' }), limits),
    ).toMatchObject({ kind: 'memory-limit', reason: expect.stringContaining('--max-old-space-size=192MB') });
    expect(exitOutcome(exit({}), limits)).toMatchObject({
      kind: 'memory-limit',
      reason: expect.stringContaining('SIGKILL from outside the worker'),
    });
    expect(exitOutcome(exit({ signal: null, code: 3 }), limits)).toEqual({
      kind: 'crashed',
      code: 'SWY_WORKER_TASK_CRASHED',
      reason: 'the task process exited with code 3',
    });
    expect(exitOutcome(exit({ signal: 'SIGSEGV' }), limits)).toMatchObject({
      kind: 'crashed',
      reason: 'the task process exited with signal SIGSEGV',
    });
  });
});
