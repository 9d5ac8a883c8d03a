import type { FailingReceiver, HealthReport } from '../health/index.js';
import type { AlertsConfig } from '../spec/index.js';
import { ChangeTrigger } from './change-trigger.js';
import { step } from './engine.js';
import type { AlertJournal } from './journal.js';
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
  /**
   * Where the state and what waits for a receiver are kept: a leader loads them when it starts,
   * so a restart or a new leader neither notifies a group again nor loses a notification.
   * Without one they live in memory only.
   */
  readonly journal?: AlertJournal;
  readonly onLine?: (line: string) => void;
}

/**
 * The alerts of one environment at work: each health report goes through the rules (step)
 * and what they decide is queued for every receiver. Only the leader sends: a replica that
 * stands by observes nothing, so a group is notified once whichever replica serves the read.
 * With a journal, each step is kept before it is sent, and each receiver's taking is recorded.
 */
export class Alerter {
  private state: AlertState = {};
  private outboxes = new Map<string, Outbox>();
  private leading = false;
  /** Ends what start() set going: its timer, its subscription to changes and its trigger. */
  private halt: (() => void) | undefined;
  private running: Promise<void> = Promise.resolve();
  private lastAt: string | undefined;
  /** The state as the journal last kept it (JSON), so an unchanged state is not written again. */
  private kept = '{}';
  /** Whether this term of leading has taken up what the journal keeps. */
  private restored = false;

  constructor(private readonly options: AlerterOptions) {}

  /**
   * Starts acting (this replica leads): evaluates `report` now, soon after each change `changes`
   * tells of (the runtime's), and every `everyMs` for what time alone changes (a `for` elapsing).
   * One evaluation at a time: what asks for one while one runs gets exactly one more after it.
   */
  start(report: () => Promise<HealthReport>, everyMs: number, changes?: (listener: () => void) => () => void): void {
    this.stop();
    this.leading = true;
    const restored = this.running.then(() => this.restore());
    this.running = restored.catch((err: unknown) =>
      this.options.onLine?.(
        `⚠ alerts ${this.options.environment}: what was notified could not be loaded: ${(err as Error).message}`,
      ),
    );
    const trigger = new ChangeTrigger(report, {
      onError: (err: unknown) =>
        this.options.onLine?.(`⚠ alerts ${this.options.environment}: health not evaluated: ${(err as Error).message}`),
    });
    const poke = () => trigger.poke();
    const timer = setInterval(poke, everyMs);
    timer.unref?.();
    const unsubscribe = changes?.(poke);
    this.halt = () => {
      clearInterval(timer);
      unsubscribe?.();
      trigger.stop();
    };
    poke();
  }

  /** Stops acting; what a receiver has not taken yet waits in the journal for the next leader. */
  stop(): void {
    this.leading = false;
    this.restored = false;
    this.halt?.();
    this.halt = undefined;
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

  /** Takes up what the journal keeps: the groups' state, and what each receiver has still to take. */
  private async restore(): Promise<void> {
    const { journal, environment } = this.options;
    if (!journal || !this.leading || this.restored) return;
    const { state, waiting } = await journal.load(environment);
    if (!this.leading) return;
    this.restored = true;
    this.state = state;
    this.kept = JSON.stringify(state);
    const config = this.options.config();
    for (const w of waiting) {
      const receiver = config.receivers.find((r) => r.name === w.receiver);
      if (receiver) this.outboxFor(receiver, config).push(w.notification, w.id);
      else
        this.options.onLine?.(
          `⚠ alerts ${environment}: notification ${w.id} waits for receiver ${w.receiver}, which the environment no longer names`,
        );
    }
  }

  private async evaluate(report: HealthReport, now: Date): Promise<void> {
    // An evaluation queued before this replica stopped leading decides nothing: the next leader does.
    if (!this.leading || report.at < (this.lastAt ?? '')) return;
    // Never decide from an empty memory what the journal may say was notified already.
    await this.restore();
    this.lastAt = report.at;
    const config = this.options.config();
    const silences = await this.options.silences();
    const { state, notifications } = step(this.state, { report, config, silences, now });
    const json = JSON.stringify(state);
    const ids =
      this.options.journal && (notifications.length > 0 || json !== this.kept)
        ? await this.options.journal.record(
            this.options.environment,
            state,
            notifications,
            config.receivers.map((r) => r.name),
          )
        : [];
    this.state = state;
    if (this.options.journal) this.kept = json;
    notifications.forEach((n, i) => this.send(n, config, ids[i]));
  }

  private outboxFor(receiver: AlertsConfig['receivers'][number], config: AlertsConfig): Outbox {
    const key = `${receiver.name}\u0000${receiver.type}\u0000${receiver.urlFrom}`;
    let outbox = this.outboxes.get(key);
    if (!outbox) {
      const { journal, onLine } = this.options;
      const noted = (what: string) => (err: unknown) =>
        onLine?.(`⚠ alerts: could not record that ${receiver.name} ${what}: ${(err as Error).message}`);
      outbox = new Outbox(this.options.notifier(receiver, config), {
        ...this.options.outbox,
        onDropped: (name, _n, id) => {
          onLine?.(`⚠ alerts: receiver ${name} is down; dropped its oldest notification`);
          if (journal && id !== undefined) journal.dropped(id, name, new Date()).catch(noted('dropped a notification'));
        },
        onTaken: (_n, id) => {
          if (journal && id !== undefined)
            journal.delivered(id, receiver.name, new Date()).catch(noted('took a notification'));
        },
      });
      this.outboxes.set(key, outbox);
    }
    return outbox;
  }

  private send(n: Notification, config: AlertsConfig, id: string | undefined): void {
    for (const receiver of config.receivers) this.outboxFor(receiver, config).push(n, id);
    this.options.onLine?.(
      `${n.status === 'firing' ? '🔔' : '✔'} alert ${n.status} ${n.environment}/${n.service}: ${n.findings.length} finding(s)`,
    );
  }
}
