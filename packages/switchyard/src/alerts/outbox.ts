import type { FailingReceiver } from '../health/index.js';
import type { AlertNotifier } from './notifier.js';
import type { Notification } from './types.js';

export interface OutboxOptions {
  /** The first retry's delay; each next one doubles, up to maxDelayMs. */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Notifications kept for a receiver that is down; past it the oldest are dropped (and said so). */
  readonly capacity?: number;
  readonly now?: () => Date;
  /** `id`: the notification's id in the alert history, when it has one. */
  readonly onDropped?: (receiver: string, dropped: Notification, id?: string) => void;
  /** The receiver took the notification. */
  readonly onTaken?: (taken: Notification, id?: string) => void;
}

interface Queued {
  readonly notification: Notification;
  readonly id?: string;
}

const DEFAULTS = { initialDelayMs: 1000, maxDelayMs: 60_000, capacity: 1000 };

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * What one receiver has still to take, in order. Sending never blocks whoever pushes: a
 * receiver that fails is retried with a doubling delay (bounded), keeping every notification
 * until it is taken, and reports itself failing meanwhile.
 */
export class Outbox {
  private readonly queue: Queued[] = [];
  private readonly options: Required<Omit<OutboxOptions, 'onDropped' | 'onTaken'>> &
    Pick<OutboxOptions, 'onDropped' | 'onTaken'>;
  private sending = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failure: { since: string; attempts: number; error: string } | undefined;
  private closed = false;

  constructor(
    readonly notifier: AlertNotifier,
    options: OutboxOptions = {},
  ) {
    this.options = { ...DEFAULTS, now: () => new Date(), ...options };
  }

  /** Queues a notification; `id` is its id in the alert history, handed back to onTaken and onDropped. */
  push(n: Notification, id?: string): void {
    if (this.closed) return;
    this.queue.push(id === undefined ? { notification: n } : { notification: n, id });
    while (this.queue.length > this.options.capacity) {
      const dropped = this.queue.shift() as Queued;
      this.options.onDropped?.(this.notifier.receiver, dropped.notification, dropped.id);
    }
    if (!this.timer) void this.drain();
  }

  /** Set while the receiver fails; cleared by its next success. */
  failing(): FailingReceiver | undefined {
    return this.failure && { receiver: this.notifier.receiver, ...this.failure, waiting: this.queue.length };
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Stops retrying; what waits is kept in memory no more. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async drain(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        try {
          const next = this.queue[0] as Queued;
          await this.notifier.send(next.notification);
          this.queue.shift();
          this.failure = undefined;
          this.options.onTaken?.(next.notification, next.id);
        } catch (err) {
          const attempts = (this.failure?.attempts ?? 0) + 1;
          this.failure = {
            since: this.failure?.since ?? this.options.now().toISOString(),
            attempts,
            error: message(err),
          };
          const delay = Math.min(this.options.initialDelayMs * 2 ** (attempts - 1), this.options.maxDelayMs);
          this.timer = setTimeout(() => {
            this.timer = undefined;
            void this.drain();
          }, delay);
          this.timer.unref?.();
          return;
        }
      }
    } finally {
      this.sending = false;
    }
  }
}
