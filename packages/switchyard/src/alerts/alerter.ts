import type { FailingReceiver, HealthReport } from '../health/index.js';
import type { AlertsConfig } from '../spec/index.js';
import { step } from './engine.js';
import type { AlertNotifier } from './notifier.js';
import { Outbox, type OutboxOptions } from './outbox.js';
import type { AlertState, Notification, Silence } from './types.js';

export interface AlerterOptions {
  readonly environment: string;
  /** The environment's alerting now (a new configuration commit may change it). */
  readonly config: () => AlertsConfig;
  /** The environment's silences that have not ended. */
  readonly silences: () => Promise<readonly Silence[]>;
  /** The notifier of a receiver (an adapter: the server builds it). */
  readonly notifier: (receiver: AlertsConfig['receivers'][number], config: AlertsConfig) => AlertNotifier;
  readonly outbox?: OutboxOptions;
  readonly onLine?: (line: string) => void;
}

/**
 * The alerts of one environment at work: each health report goes through the rules (step)
 * and what they decide is queued for every receiver. Only the leader sends: a replica that
 * stands by observes nothing, so a group is notified once whichever replica serves the read.
 */
export class Alerter {
  private state: AlertState = {};
  private outboxes = new Map<string, Outbox>();
  private leading = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<void> = Promise.resolve();
  private lastAt: string | undefined;

  constructor(private readonly options: AlerterOptions) {}

  /** Starts acting (this replica leads): evaluates `report` now and every `everyMs`. */
  start(report: () => Promise<HealthReport>, everyMs: number): void {
    this.leading = true;
    const tick = () =>
      void report().catch((err: unknown) =>
        this.options.onLine?.(`⚠ alerts ${this.options.environment}: health not evaluated: ${(err as Error).message}`),
      );
    clearInterval(this.timer);
    this.timer = setInterval(tick, everyMs);
    this.timer.unref?.();
    tick();
  }

  /** Stops acting; what a receiver has not taken yet is left to the next leader's own evaluation. */
  stop(): void {
    this.leading = false;
    clearInterval(this.timer);
    this.timer = undefined;
    for (const outbox of this.outboxes.values()) outbox.close();
    this.outboxes.clear();
  }

  /** Takes one health evaluation (from the timer or a read of /v1/health); one at a time, in order. */
  observe(report: HealthReport, now = new Date()): Promise<void> {
    if (!this.leading) return Promise.resolve();
    const next = this.running.then(() => this.evaluate(report, now));
    this.running = next.catch(() => undefined);
    return next;
  }

  /** Receivers failing to take notifications, by name. */
  failing(): FailingReceiver[] {
    return [...this.outboxes.values()].flatMap((o) => o.failing() ?? []);
  }

  /** Notifications waiting for a receiver, all receivers together. */
  waiting(): number {
    return [...this.outboxes.values()].reduce((n, o) => n + o.waiting, 0);
  }

  private async evaluate(report: HealthReport, now: Date): Promise<void> {
    if (report.at < (this.lastAt ?? '')) return;
    this.lastAt = report.at;
    const config = this.options.config();
    const silences = await this.options.silences();
    const { state, notifications } = step(this.state, { report, config, silences, now });
    this.state = state;
    for (const n of notifications) this.send(n, config);
  }

  private send(n: Notification, config: AlertsConfig): void {
    for (const receiver of config.receivers) {
      const key = `${receiver.name}\u0000${receiver.type}\u0000${receiver.urlFrom}`;
      let outbox = this.outboxes.get(key);
      if (!outbox) {
        outbox = new Outbox(this.options.notifier(receiver, config), {
          ...this.options.outbox,
          onDropped: (name) =>
            this.options.onLine?.(`⚠ alerts: receiver ${name} is down; dropped its oldest notification`),
        });
        this.outboxes.set(key, outbox);
      }
      outbox.push(n);
    }
    this.options.onLine?.(
      `${n.status === 'firing' ? '🔔' : '✔'} alert ${n.status} ${n.environment}/${n.service}: ${n.findings.length} finding(s)`,
    );
  }
}
