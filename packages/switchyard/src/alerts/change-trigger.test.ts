import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChangeTrigger } from './change-trigger.js';

describe('ChangeTrigger', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('makes one run of a burst of changes, after it settles', async () => {
    let runs = 0;
    const trigger = new ChangeTrigger(async () => void runs++, { settleMs: 100 });
    for (let i = 0; i < 50; i++) trigger.poke();
    await vi.advanceTimersByTimeAsync(99);
    expect(runs).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toBe(1);
  });

  it('never runs twice at once, and runs once more for changes during a run', async () => {
    let active = 0;
    let most = 0;
    let runs = 0;
    const trigger = new ChangeTrigger(
      async () => {
        active++;
        most = Math.max(most, active);
        runs++;
        await new Promise((r) => setTimeout(r, 500));
        active--;
      },
      { settleMs: 10 },
    );
    trigger.poke();
    await vi.advanceTimersByTimeAsync(20);
    for (let i = 0; i < 5; i++) trigger.poke();
    await vi.advanceTimersByTimeAsync(2000);
    expect(runs).toBe(2);
    expect(most).toBe(1);
  });

  it('keeps going after a failed run and says why', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const trigger = new ChangeTrigger(
      async () => {
        runs++;
        throw new Error('store unreachable');
      },
      { settleMs: 10, onError: (e) => errors.push(e) },
    );
    trigger.poke();
    await vi.advanceTimersByTimeAsync(20);
    trigger.poke();
    await vi.advanceTimersByTimeAsync(20);
    expect(runs).toBe(2);
    expect(errors.map((e) => (e as Error).message)).toEqual(['store unreachable', 'store unreachable']);
  });

  it('starts nothing once stopped', async () => {
    let runs = 0;
    const trigger = new ChangeTrigger(async () => void runs++, { settleMs: 10 });
    trigger.poke();
    trigger.stop();
    trigger.poke();
    await vi.advanceTimersByTimeAsync(100);
    expect(runs).toBe(0);
  });
});
