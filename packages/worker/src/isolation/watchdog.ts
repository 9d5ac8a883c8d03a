import type { MemoryStatus } from './memory.js';
import type { Slot } from './slots.js';

/**
 * The kernel's peak mark is reset only after a task raised it by more than this, so a peak
 * is reported at most this much above the truth while a run of small tasks costs no reset.
 */
const PEAK_SLACK_BYTES = 4 * 2 ** 20;

/**
 * Resident memory of the task processes, read from /proc by the worker (a task busy in a
 * CPU-bound loop cannot be trusted to report on itself): samples busy processes every few
 * milliseconds and kills one past the class's limit; tells each task its own peak; replaces a
 * process that kept too much after its task.
 */
export class MemoryWatchdog {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly slots: readonly Slot[],
    private readonly limitBytes: number,
  ) {}

  start(everyMs: number): void {
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    for (const slot of this.slots) {
      const run = slot.run;
      const proc = slot.process;
      if (slot.state !== 'busy' || !run || !proc?.memory || proc.killedFor) continue;
      const rss = proc.memory.status()?.rss;
      if (rss === undefined) continue;
      run.peakRss = Math.max(run.peakRss ?? 0, rss);
      if (rss > this.limitBytes) proc.kill('memory');
    }
  }

  /** A process became ready: its idle size, and its peak mark reset so the next rise is one task's. */
  ready(slot: Slot): void {
    const memory = slot.process?.memory;
    slot.baselineRss = memory?.status()?.rss;
    slot.peakFloor = memory?.resetPeak() ? slot.baselineRss : undefined;
  }

  /**
   * A task's peak: the samples, and the kernel's mark when it was reset before the task
   * (within PEAK_SLACK_BYTES of the truth). `status` is the process's memory as the task ended,
   * undefined when the process is gone.
   */
  taskPeak(slot: Slot, samplePeak: number | undefined, status: MemoryStatus | undefined): number | undefined {
    const hwm = slot.peakFloor !== undefined ? status?.hwm : undefined;
    return Math.max(samplePeak ?? 0, hwm ?? 0) || undefined;
  }

  /**
   * Whether the process may take the next task: one that kept more than half of its headroom
   * (what the limit leaves above an idle process) is replaced, so the next task starts small.
   * A kept process whose peak mark the task raised has it reset.
   */
  mayKeep(slot: Slot, status: MemoryStatus | undefined): boolean {
    const rss = status?.rss ?? 0;
    const baseline = slot.baselineRss ?? 0;
    if (rss - baseline > (this.limitBytes - baseline) / 2) return false;
    if (slot.peakFloor !== undefined && status && status.hwm > slot.peakFloor + PEAK_SLACK_BYTES) {
      slot.peakFloor = slot.process?.memory?.resetPeak() ? status.rss : undefined;
    }
    return true;
  }
}
