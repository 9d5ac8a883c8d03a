import type { LeaderView, Role } from '../api/index.js';
import type { LeaderLock, LeaderRecord } from '../store/index.js';

/**
 * Which replica of a store leads: the one holding the store's leader lock runs the release
 * engines and anything that writes to a runtime; the others stand by, serve reads and hand
 * writes to it. A standby tries the lock every `retryMs`; a leader checks its lock's
 * connection as often and steps down the moment it fails, so two replicas never act at once.
 */

/** Where the leader is recorded (the store's leader row). */
export interface LeaderRegistry {
  /** Records this replica as leader in the next term; called only while holding the lock. */
  record(who: { holder: string; address: string }): Promise<LeaderRecord>;
  read(): Promise<LeaderRecord | undefined>;
}

export interface LeadershipOptions {
  readonly lock: LeaderLock;
  readonly registry: LeaderRegistry;
  /** This replica: unique per process. */
  readonly holder: string;
  /** Where this replica's API answers for the other replicas. */
  readonly address: string;
  /** Whether other replicas may share the store (false: the embedded store's one opener always leads). */
  readonly replicas?: boolean;
  /** How often a standby tries the lock and a leader checks it (default 1000 ms). */
  readonly retryMs?: number;
  /** How long a leader waits for its lock's connection to answer before stepping down (default 2 × retryMs, at least 1 s). */
  readonly checkTimeoutMs?: number;
  /** Starts acting: recover and run every release. A failure gives the lock back. */
  lead(): Promise<void>;
  /** Stops acting at once: no command starts after it is called. */
  follow(): Promise<void>;
  /** Runs on a standby after each try that found another leader (follow what the leader changes). */
  standingBy?(): Promise<void>;
  readonly say?: (line: string) => void;
}

/** Runs one step at a time: a lock check never overlaps a takeover or a step down. */
class Steps {
  private tail: Promise<void> = Promise.resolve();
  run(step: () => Promise<void>): Promise<void> {
    const next = this.tail.then(step, step);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class Leadership {
  private current: Role = 'standby';
  private term: LeaderRecord | undefined;
  /** Whether another replica held the lock at the last try. */
  private othersLead = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly steps = new Steps();
  readonly retryMs: number;
  private readonly checkTimeoutMs: number;

  constructor(private readonly options: LeadershipOptions) {
    this.retryMs = options.retryMs ?? 1000;
    this.checkTimeoutMs = options.checkTimeoutMs ?? Math.max(1000, 2 * this.retryMs);
    options.lock.onLost((why) => this.lose(`the connection holding the leader lock failed: ${why}`));
  }

  get role(): Role {
    return this.current;
  }

  /** Tries the lock once now (a lone replica leads before this returns), then on every interval. */
  async start(): Promise<void> {
    await this.steps.run(() => this.step());
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.steps
        .run(() => this.step())
        .catch((err: unknown) => this.options.say?.(`✖ leadership: ${message(err)}`))
        .finally(() => this.schedule());
    }, this.retryMs);
  }

  private async step(): Promise<void> {
    if (this.stopped) return;
    const { lock } = this.options;
    if (this.current === 'leader') {
      if (!(await lock.holds(this.checkTimeoutMs))) this.lose('the leader lock no longer answers');
      return;
    }
    let held: boolean;
    try {
      held = await lock.acquire();
    } catch (err) {
      this.othersLead = false;
      this.options.say?.(
        `⚠ leadership: the store did not answer (${message(err)}); trying again in ${this.retryMs} ms`,
      );
      return;
    }
    if (!held) {
      this.othersLead = true;
      await this.options.standingBy?.();
      return;
    }
    await this.takeOver();
  }

  private async takeOver(): Promise<void> {
    const { registry, lock, holder, address } = this.options;
    try {
      this.term = await registry.record({ holder, address });
      this.current = 'leader';
      this.othersLead = false;
      this.options.say?.(`★ leading (term ${this.term.term}): this replica runs the release engines; writes come here`);
      await this.options.lead();
    } catch (err) {
      this.options.say?.(`✖ leadership: taking over failed (${message(err)}); standing by`);
      this.current = 'standby';
      await this.options.follow().catch(() => undefined);
      await lock.release();
    }
  }

  /** Steps down at once (the API hands writes off from now), then stops the engines. */
  private lose(why: string): void {
    if (this.current !== 'leader') return;
    this.current = 'standby';
    this.term = undefined;
    this.options.say?.(`⚠ no longer leading: ${why}; standing by`);
    void this.steps
      .run(async () => {
        await this.options.follow();
        await this.options.lock.release();
      })
      .catch((err: unknown) => this.options.say?.(`✖ leadership: stepping down: ${message(err)}`));
  }

  /** What this replica knows of who leads now. */
  async view(): Promise<LeaderView> {
    const { address } = this.options;
    if (this.current === 'leader' && this.term)
      return {
        role: 'leader',
        self: address,
        replicas: this.options.replicas ?? true,
        leader: { address, term: this.term.term, since: this.term.since.toISOString() },
      };
    const recorded = this.othersLead ? await this.options.registry.read() : undefined;
    return {
      role: 'standby',
      self: address,
      replicas: this.options.replicas ?? true,
      leader:
        recorded && recorded.holder !== this.options.holder
          ? { address: recorded.address, term: recorded.term, since: recorded.since.toISOString() }
          : null,
    };
  }

  /** Stops trying; a leader stops acting and lets the lock go. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.steps.run(async () => {
      if (this.current === 'leader') {
        this.current = 'standby';
        await this.options.follow();
      }
      await this.options.lock.release();
    });
  }
}
