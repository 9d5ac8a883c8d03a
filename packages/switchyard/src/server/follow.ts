import type { ConfigFollowing, ConfigRefusal, ConfigStatus } from '../api/index.js';
import type { GitSource } from '../config-dir/index.js';
import type { ConfigRepo } from '../config-repo/index.js';
import { isSwitchyardError, SwitchyardError, type Issue } from '../errors/index.js';
import type { ReleaseReader } from '../release/index.js';
import type { UnitState } from '../render/index.js';
import type { Runtime } from '../runtime/index.js';
import { diffFleets, type Fleet, type Unit } from '../spec/index.js';
import { appendAudit, listAudit, listDesiredState, putDesiredState, type SqlClient } from '../store/index.js';
import { markServed, readFleets } from './commits.js';
import { reconcile } from './ownership.js';

/**
 * The server follows a configuration repository: it fetches the branch (every poll, and when
 * the webhook says it moved), reads the whole configuration at the newest commit and judges it
 * for every environment served. A valid commit that conflicts with nothing is taken without a
 * restart: each runtime gets the new fleet. Anything else is refused with every problem listed,
 * recorded once in the audit log, shown by GET /v1/config and `switchyard status`, and the
 * running fleet stays exactly as it was.
 */
export interface FollowerOptions {
  readonly source: GitSource;
  /** Environment name → the runtime serving it (its `fleet` is the spec served). */
  readonly runtimes: ReadonlyMap<string, Runtime>;
  readonly store: SqlClient;
  /** The server's own desired-state commits (who owns what of a service). */
  readonly configRepo: ConfigRepo;
  readonly releases: ReleaseReader;
  /** The commit the runtimes were started from. */
  readonly served: string;
  /** 0 disables polling. */
  readonly pollMs: number;
  readonly webhookSecret?: string;
  readonly onLine?: (line: string) => void;
}

const ACTOR = 'switchyard:config';

/** What a commit means for the running fleets, once judged. */
type Verdict =
  | {
      readonly kind: 'take';
      readonly fleets: ReadonlyMap<string, Fleet>;
      readonly states: ReadonlyMap<string, Record<string, UnitState>>;
    }
  | { readonly kind: 'refuse'; readonly error: SwitchyardError; readonly final: boolean }
  | { readonly kind: 'wait'; readonly releases: { service: string; release: string }[] };

export class ConfigFollower implements ConfigFollowing {
  private served: string;
  private lastSeen: string | undefined;
  private checkedAt: string | undefined;
  private refused: ConfigRefusal | undefined;
  /** A refusal that judging again cannot change (invalid specs, environment settings). */
  private refusedFinal = false;
  private waiting: ConfigStatus['waiting'];
  private fetchError: ConfigStatus['fetchError'];
  private timer: NodeJS.Timeout | undefined;
  /** Only a started follower acts on a new commit; before (a standby) it fetches and reports. */
  private started = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: FollowerOptions) {
    this.served = options.served;
  }

  get webhookSecret(): string | undefined {
    return this.options.webhookSecret;
  }

  status(): ConfigStatus {
    const { source } = this.options;
    return {
      source: 'git',
      location: source.location,
      ...(source.branch ? { branch: source.branch } : {}),
      ...(source.path ? { path: source.path } : {}),
      servedCommit: this.served,
      ...(this.lastSeen ? { lastSeenCommit: this.lastSeen } : {}),
      ...(this.checkedAt ? { checkedAt: this.checkedAt } : {}),
      pollSeconds: this.options.pollMs / 1000,
      webhook: this.options.webhookSecret !== undefined,
      ...(this.refused ? { refused: this.refused } : {}),
      ...(this.waiting ? { waiting: this.waiting } : {}),
      ...(this.fetchError ? { fetchError: this.fetchError } : {}),
    };
  }

  /** Acts on new commits from now on: checks at once, then every pollMs (unless 0) and on each webhook delivery. */
  start(): void {
    if (this.started) return;
    this.started = true;
    void this.check('start').catch((err: unknown) => this.say(`✖ config: ${String(err)}`));
    if (this.options.pollMs <= 0) return;
    this.timer = setInterval(() => {
      void this.check('poll').catch((err: unknown) => this.say(`✖ config: ${String(err)}`));
    }, this.options.pollMs);
    this.timer.unref();
  }

  /** Stops acting on new commits (a replica that no longer leads); start() acts again. */
  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.queue.catch(() => undefined);
  }

  /** One check at a time: a webhook arriving during a poll waits for it, then fetches again. */
  check(trigger: string): Promise<ConfigStatus> {
    const run = this.queue.then(() => this.checkNow(trigger));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private say(line: string): void {
    this.options.onLine?.(line);
  }

  private async checkNow(trigger: string): Promise<ConfigStatus> {
    const { source } = this.options;
    let head: string;
    try {
      head = await source.fetch();
      this.fetchError = undefined;
    } catch (err) {
      const error = isSwitchyardError(err) ? err : new SwitchyardError('SWY_CONFIG_SOURCE_FAILED', { cause: err });
      if (this.fetchError?.message !== error.message) this.say(`⚠ config: ${error.message}`);
      this.fetchError = { code: error.code, message: error.message, at: new Date().toISOString() };
      return this.status();
    } finally {
      this.checkedAt = new Date().toISOString();
    }
    this.lastSeen = head;
    if (!this.started) return this.status();
    if (head === this.served) {
      this.refused = undefined;
      this.waiting = undefined;
      return this.status();
    }
    if (this.refused?.commit === head && this.refusedFinal) return this.status();
    const verdict = await this.judge(head);
    switch (verdict.kind) {
      case 'take':
        await this.take(head, verdict, trigger);
        break;
      case 'refuse':
        await this.refuse(head, verdict.error, verdict.final);
        break;
      case 'wait':
        if (this.waiting?.commit !== head)
          this.say(
            `… config: commit ${head.slice(0, 12)} waits for ${verdict.releases.map((r) => `release ${r.release} of ${r.service}`).join(', ')} to end`,
          );
        this.refused = undefined;
        this.waiting = { commit: head, releases: verdict.releases };
        break;
    }
    return this.status();
  }

  /** Reads the commit for every environment served and weighs it against what runs and who owns it. */
  private async judge(sha: string): Promise<Verdict> {
    const { source, runtimes } = this.options;
    let fleets: Map<string, Fleet>;
    try {
      fleets = await readFleets(await source.checkout(sha), [...runtimes.keys()]);
    } catch (err) {
      if (!isSwitchyardError(err)) throw err;
      return { kind: 'refuse', error: err, final: true };
    }
    const changedEnvironments: Issue[] = [];
    const conflicts: Issue[] = [];
    const waiting: { service: string; release: string }[] = [];
    const states = new Map<string, Record<string, UnitState>>();
    for (const [name, runtime] of runtimes) {
      const next = fleets.get(name) as Fleet;
      const served = runtime.fleet;
      const diff = diffFleets(served, next);
      if (diff.environmentChanged) {
        changedEnvironments.push({
          code: 'SWY_CONFIG_ENVIRONMENT_CHANGED',
          ...(next.environment.file ? { file: next.environment.file } : {}),
          message: `environment ${name}: its settings differ from the ones served (runtime, cluster, ports, freezes…)`,
          hint: 'Restart the server to take them, or set the file back to what is served.',
        });
      }
      const owned = new Map(
        (await listDesiredState<UnitState>(this.options.store, name)).map((r) => [r.service, r.state]),
      );
      const envStates: Record<string, UnitState> = {};
      const unitOf = (fleet: Fleet, unit: string) => fleet.units.find((u) => u.name === unit) as Unit;
      for (const unit of [...diff.changed, ...diff.removed]) {
        const active = await this.options.releases.activeFor(unit, name);
        if (active) waiting.push({ service: unit, release: active.id });
      }
      for (const unit of diff.changed) {
        const state = owned.get(unit);
        if (!state) continue;
        const commit = (await this.options.configRepo.history({ environment: name, service: unit, limit: 1 }))[0]?.sha;
        const judged = reconcile(
          unitOf(served, unit),
          unitOf(next, unit),
          { state, ...(commit ? { commit } : {}) },
          sha,
        );
        conflicts.push(...judged.issues);
        // The server keeps what it owns; the rest of the spec is the commit's.
        if (judged.state) envStates[unit] = judged.state;
      }
      states.set(name, envStates);
    }
    if (changedEnvironments.length > 0) {
      return {
        kind: 'refuse',
        final: true,
        error: new SwitchyardError('SWY_CONFIG_ENVIRONMENT_CHANGED', {
          message: `Commit ${sha.slice(0, 12)} changes the settings of ${changedEnvironments.length === 1 ? 'an environment' : 'environments'} this server serves`,
          issues: changedEnvironments,
        }),
      };
    }
    if (waiting.length > 0) return { kind: 'wait', releases: waiting };
    if (conflicts.length > 0) {
      return {
        kind: 'refuse',
        final: false,
        error: new SwitchyardError('SWY_CONFIG_CONFLICT', {
          message: `Commit ${sha.slice(0, 12)} changes what the server owns (${conflicts.length} field${conflicts.length === 1 ? '' : 's'}): ${conflicts[0]?.message ?? ''}`,
          issues: conflicts,
        }),
      };
    }
    return { kind: 'take', fleets, states };
  }

  private async take(sha: string, verdict: Extract<Verdict, { kind: 'take' }>, trigger: string): Promise<void> {
    const { source, runtimes } = this.options;
    const previous = this.served;
    const changes: Record<string, unknown> = {};
    for (const [name, runtime] of runtimes) {
      const next = verdict.fleets.get(name) as Fleet;
      const diff = diffFleets(runtime.fleet, next);
      changes[name] = { added: diff.added, removed: diff.removed, changed: diff.changed };
      const states = verdict.states.get(name) ?? {};
      // Recorded before acting: a restart comes back to the same state.
      for (const [service, state] of Object.entries(states))
        await putDesiredState(this.options.store, { environment: name, service, state });
      try {
        await runtime.replaceFleet(next, states);
      } catch (err) {
        // The runtime serves the new fleet; what failed to start is said and retried by its supervisor.
        this.say(`✖ config: ${name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.served = sha;
    this.refused = undefined;
    this.refusedFinal = false;
    this.waiting = undefined;
    await markServed(source.dir, sha);
    const { author, subject } = await source.describe(sha);
    this.say(`✔ config: took commit ${sha.slice(0, 12)} (${subject}) from ${author} [${trigger}]`);
    await appendAudit(this.options.store, {
      actor: ACTOR,
      action: 'config.take',
      target: sha,
      environment: null,
      outcome: 'succeeded',
      details: { previous, author, subject, trigger, changes },
    });
  }

  private async refuse(sha: string, error: SwitchyardError, final: boolean): Promise<void> {
    const { source } = this.options;
    const { author, subject } = await source.describe(sha);
    const first = this.refused?.commit !== sha;
    this.refused = {
      commit: sha,
      author,
      subject,
      code: error.code,
      message: error.message,
      hint: error.hint,
      issues: error.issues,
      at: first ? new Date().toISOString() : (this.refused?.at ?? new Date().toISOString()),
    };
    this.refusedFinal = final;
    this.waiting = undefined;
    if (!first) return;
    if (final) await source.discard(sha);
    this.say(
      `✖ config: refused commit ${sha.slice(0, 12)} (${subject}) from ${author}: ${error.message}${error.issues
        .slice(0, 20)
        .map(
          (i) =>
            `\n    ${i.file ?? ''}${i.line ? `:${i.line}` : ''}${i.path ? ` ${i.path}` : ''}: ${i.message}${i.hint ? ` → ${i.hint}` : ''}`,
        )
        .join('')}`,
    );
    // Once per commit, across restarts: a poll finding the same commit again records nothing.
    const known = await listAudit(this.options.store, { action: 'config.refuse', target: sha, limit: 1 });
    if (known.length > 0) return;
    await appendAudit(this.options.store, {
      actor: ACTOR,
      action: 'config.refuse',
      target: sha,
      environment: null,
      outcome: 'refused',
      details: { served: this.served, author, subject, error: error.toJSON() },
    });
  }
}
