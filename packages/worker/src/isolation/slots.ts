import type { TaskProcess } from './task-process.js';
import type { ActiveRun } from './task-run.js';
import { WorkerError } from '../errors/index.js';

/** One place for a task process: the pool keeps as many as the worker runs tasks at once. */
export interface Slot {
  readonly id: number;
  state: 'starting' | 'idle' | 'busy' | 'stopped';
  process: TaskProcess | undefined;
  run: ActiveRun | undefined;
  /** Exits while starting, in a row: each waits longer before the next start. */
  bootFailures: number;
  /** Resident memory of the idle process, measured when it became ready. */
  baselineRss: number | undefined;
  /**
   * The kernel's peak-RSS mark right after it was last reset; undefined where it cannot be
   * reset (the mark then spans the process's life and says nothing about one task).
   */
  peakFloor: number | undefined;
}

/**
 * Which slot runs the next task. A slot is taken (made busy) in the same step that finds it
 * idle, so two tasks never share one; waiters look again whenever a slot becomes idle.
 */
export class SlotBoard {
  readonly slots: readonly Slot[];
  private readonly waiters: Array<() => void> = [];
  private closing = false;

  constructor(size: number) {
    this.slots = Array.from({ length: size }, (_, id): Slot => ({
      id,
      state: 'stopped',
      process: undefined,
      run: undefined,
      bootFailures: 0,
      baselineRss: undefined,
      peakFloor: undefined,
    }));
  }

  get busy(): number {
    return this.slots.filter((s) => s.state === 'busy').length;
  }

  get closed(): boolean {
    return this.closing;
  }

  /** Resolves once the slot's process is ready, or the pool is closing. */
  whenIdle(slot: Slot): Promise<void> {
    return new Promise((resolve) => {
      const check = () => (slot.state === 'idle' || this.closing ? resolve() : this.waiters.push(check));
      check();
    });
  }

  /** Takes an idle slot, marking it busy before anyone else can look at it. */
  async acquire(): Promise<Slot> {
    for (;;) {
      if (this.closing)
        throw new WorkerError('SWY_WORKER_INTERNAL', {
          message: 'The task pool is closed: no task starts while the worker stops',
        });
      const slot = this.slots.find((s) => s.state === 'idle');
      if (slot) {
        slot.state = 'busy';
        return slot;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** A slot became idle or stopped: everyone waiting looks again. */
  wake(): void {
    const waiting = this.waiters.splice(0);
    for (const w of waiting) w();
  }

  /** No slot is handed out any more; waiters are told. */
  close(): void {
    this.closing = true;
    this.wake();
  }
}
