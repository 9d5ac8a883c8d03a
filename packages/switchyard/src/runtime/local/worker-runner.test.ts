import { describe, expect, it } from 'vitest';
import { describeEvent } from '../describe.js';
import { RESTART_DELAY_MAX_MS, restartDelay } from './worker-runner.js';

describe('worker restarts', () => {
  it('back off exponentially from the first delay, bounded', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 100].map((n) => restartDelay(n))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ]);
    expect(restartDelay(3, 250)).toBe(2_000);
    expect(RESTART_DELAY_MAX_MS).toBe(60_000);
    // Starts in the first minute of a worker that fails at once: 0, 1, 3, 7, 15, 31 s.
    let at = 0;
    let starts = 0;
    for (let n = 0; at < 60_000; n++, starts++) at += restartDelay(n);
    expect(starts).toBe(6);
  });

  it("say the process's own error and when it restarts, not a guess at the cause", () => {
    const line = describeEvent({
      type: 'worker-start-failed',
      worker: 'encoder',
      workerClass: 'normal',
      replica: 'encoder-normal-1',
      error: 'exited (code 1) before it was ready',
      lastLines: ['Error: the model file /models/encoder.bin is missing'],
      restartInMs: 4_000,
      log: '/data/logs/encoder-normal-1.log',
    });
    expect(line).toBe(
      'encoder-normal-1 exited (code 1) before it was ready: Error: the model file /models/encoder.bin is missing; restarting in 4 s (log /data/logs/encoder-normal-1.log)',
    );
  });
});
