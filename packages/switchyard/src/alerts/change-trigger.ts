export interface ChangeTriggerOptions {
  /** How long after a change the work starts, so a burst of changes makes one run (default 100 ms). */
  readonly settleMs?: number;
  readonly onError?: (err: unknown) => void;
}

/**
 * Runs `work` soon after something changed, never two at once: changes that arrive while it
 * runs make exactly one more run after it, so the last change is always seen.
 */
export class ChangeTrigger {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private again = false;
  private stopped = false;

  constructor(
    private readonly work: () => Promise<unknown>,
    private readonly options: ChangeTriggerOptions = {},
  ) {}

  /** Something changed. */
  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => void this.run(), this.options.settleMs ?? 100);
    this.timer.unref?.();
  }

  /** No run starts after this (one under way finishes). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    this.running = true;
    try {
      await this.work();
    } catch (err) {
      this.options.onError?.(err);
    } finally {
      this.running = false;
    }
    if (this.again) {
      this.again = false;
      this.poke();
    }
  }
}
