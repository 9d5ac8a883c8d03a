import { randomUUID } from 'node:crypto';
import { SwitchyardError } from '../errors/index.js';
import type { UnitState } from '../render/index.js';
import type { Service, Stage } from '../spec/index.js';
import { createRelease, transition } from './machine.js';
import type { ChangeRecorder, Clock, MetricsSource, Notifier, ReleaseRepository, ReleaseTarget } from './ports.js';
import type {
  Action,
  Command,
  Measurement,
  ReleaseEvent,
  ReleaseState,
  SequencedCommand,
  Transition,
} from './types.js';

export interface OrchestratorOptions {
  /** The environment whose releases this orchestrator drives; one per environment a server serves. */
  readonly environment: string;
  readonly repository: ReleaseRepository;
  readonly target: ReleaseTarget;
  readonly recorder: ChangeRecorder;
  readonly notifier: Notifier;
  readonly metrics: MetricsSource;
  readonly clock?: Clock;
  /** How often releases are ticked (gates measured when their interval is due). */
  readonly tickMs?: number;
  /** Every recorded event, for the live stream. */
  readonly onEvent?: (release: ReleaseState, event: ReleaseEvent) => void;
  readonly onError?: (err: unknown) => void;
  /** The freeze window `environment` is in at `at`, described in words; undefined outside any. */
  readonly freeze?: (environment: string, at: Date) => string | undefined;
  /**
   * Fault injection for crash tests: `kill-before:<kind>:<n>` or `kill-after:<kind>:<n>` ends
   * the process with SIGKILL before running, or after running but before recording, the n-th
   * command of that kind. From SWITCHYARD_FAULT; never set in production.
   */
  readonly fault?: string;
}

export interface DeployRequest {
  readonly service: string;
  readonly version: string;
  readonly plan?: string;
  readonly by: string;
  readonly reason?: string;
}

export interface RollbackRequest {
  readonly service: string;
  /** Default: the version the last successful release replaced. */
  readonly version?: string;
  readonly by: string;
  readonly reason?: string;
}

/** A change made by hand outside a release: recorded first, then applied; undone and recorded again if applying fails. */
export interface LiveChange {
  readonly service: string;
  /** The desired state once the change is applied. */
  readonly state: UnitState;
  readonly message: string;
  readonly author: string;
  apply(): Promise<void>;
  /** Puts back what `apply` may have changed. */
  undo(): Promise<void>;
}

const ROLLBACK_PLAN = 'rollback';

/** The plan of a rollback to an earlier version: every track at once, stable first, no gates. */
export function rollbackStages(service: Service): Stage[] {
  const order = [service.stableTrack, ...service.tracks.map((t) => t.name).filter((t) => t !== service.stableTrack)];
  return order.map((track) => ({
    name: `rollback-${track}`,
    track,
    shares: {},
    durationMs: 0,
    approval: false,
    gates: [],
  }));
}

const ROUTER_COMMANDS: ReadonlySet<Command['kind']> = new Set(['set-share', 'route-group', 'set-legacy-share']);

/**
 * Runs releases: every event is recorded before anything acts on it, and the commands it
 * yields are run one at a time, each settled by an event of its own. Killed at any point and
 * started again, `recover()` runs exactly the commands that were not settled.
 */
export class Orchestrator {
  private readonly chains = new Map<string, Promise<unknown>>();
  private ticker: NodeJS.Timeout | undefined;
  private readonly clock: Clock;
  /** Set by stop(): no command starts and no outcome is recorded until recover() (another replica may lead). */
  private halted = false;

  constructor(private readonly options: OrchestratorOptions) {
    this.clock = options.clock ?? { now: () => new Date() };
  }

  private at(): string {
    return this.clock.now().toISOString();
  }

  /** Starts a staged release of a version; the rollback plan is reserved to `rollbackTo`. */
  async deploy(request: DeployRequest): Promise<ReleaseState> {
    const service = this.options.target.service(request.service);
    const planName = request.plan ?? 'default';
    if (planName === ROLLBACK_PLAN) {
      throw new SwitchyardError('SWY_RELEASE_PLAN_RESERVED', {
        message: `The ${ROLLBACK_PLAN} plan puts a version on every track at once without gates: it only goes back to a version released here, through \`switchyard rollback ${service.name} --to <version>\``,
        details: { service: service.name, plan: planName },
      });
    }
    const stages = Object.hasOwn(service.release.plans, planName) ? service.release.plans[planName] : undefined;
    if (!stages) {
      throw new SwitchyardError('SWY_RELEASE_PLAN_NOT_FOUND', {
        message: `${service.name} has no release plan ${planName}`,
        hint: `Use one of: ${Object.keys(service.release.plans).join(', ')}; to go back to an earlier version, use \`switchyard rollback\`.`,
        details: { service: service.name, plan: planName },
      });
    }
    return this.begin(service, stages, planName, request);
  }

  /**
   * Goes back to a version released in this environment: every track at once, stable first,
   * without gates. Anything else is a deploy, with its stages and gates.
   */
  async rollbackTo(request: RollbackRequest): Promise<ReleaseState> {
    const service = this.options.target.service(request.service);
    const succeeded = await this.options.repository.succeeded(service.name, service.env);
    const version = request.version ?? succeeded[0]?.fromVersion ?? undefined;
    if (!version) {
      throw new SwitchyardError('SWY_RELEASE_NOT_FOUND', {
        message: `${service.name} has no earlier release to go back to`,
        hint: 'Name the version: --to <version> (see `switchyard history`).',
        details: { service: service.name },
      });
    }
    const released = await this.releasedVersions(service.name);
    if (!released.has(version)) {
      throw new SwitchyardError('SWY_RELEASE_NEVER_RELEASED', {
        message: `${service.name} ${version} was never released in ${service.env}: a rollback only goes back to a version that ran here (${[...released].sort().join(', ')})`,
        details: { service: service.name, version, released: [...released].sort() },
      });
    }
    return this.begin(service, rollbackStages(service), ROLLBACK_PLAN, {
      ...request,
      version,
      reason: request.reason ?? `rollback to ${version}`,
    });
  }

  /**
   * The versions released in the service's environment: what its file declares, what its
   * stable track runs, what every successful release brought and what it replaced.
   */
  async releasedVersions(name: string): Promise<Set<string>> {
    const { target, repository } = this.options;
    const service = target.service(name);
    const released = new Set<string>([service.version]);
    for (const r of await repository.succeeded(service.name, service.env)) {
      released.add(r.version);
      if (r.fromVersion) released.add(r.fromVersion);
    }
    const stable = target.current(service.name).versions[service.stableTrack];
    if (stable) released.add(stable);
    return released;
  }

  private async begin(
    service: Service,
    stages: readonly Stage[],
    planName: string,
    request: DeployRequest,
  ): Promise<ReleaseState> {
    const { target } = this.options;
    await target.checkVersion(service.name, request.version);
    const current = target.current(service.name);
    const touched = stages.filter((s) => s.track !== undefined);
    if (touched.length > 0 && touched.every((s) => current.versions[s.track as string] === request.version)) {
      throw new SwitchyardError('SWY_RELEASE_NOTHING_TO_DO', {
        message: `${service.name} already runs ${request.version} on every track this plan changes`,
        details: { service: service.name, version: request.version },
      });
    }
    const state = createRelease({
      id: randomUUID(),
      service,
      version: request.version,
      plan: planName,
      stages,
      current,
      by: request.by,
      reason: request.reason ?? '',
    });
    const event: ReleaseEvent = { type: 'start', at: this.at() };
    const next = transition(state, event);
    await this.options.repository.create(state, event, next);
    this.options.onEvent?.(next.state, event);
    void this.serial(state.id, () => this.drive(state.id));
    return next.state;
  }

  /** A person's action; refused ones come back as a conflict saying why. */
  async act(id: string, action: Action, by: string, reason = ''): Promise<ReleaseState> {
    const next = await this.serial(id, async () => {
      const state = await this.load(id);
      const event = (
        action === 'abort' || action === 'rollback'
          ? { type: action, at: this.at(), by, reason: reason || 'no reason given' }
          : { type: action, at: this.at(), by }
      ) as ReleaseEvent;
      const result = transition(state, event);
      if (result.refused) {
        throw new SwitchyardError('SWY_RELEASE_ACTION_REFUSED', {
          message: `Cannot ${action} release ${id} of ${state.service}: ${result.refused}`,
          details: { release: id, action, status: state.status, phase: state.phase },
        });
      }
      await this.commit(state, event, result);
      return result.state;
    });
    // The action is recorded; its commands run on (a rollback's first ones move traffic within milliseconds).
    void this.serial(id, () => this.drive(id));
    return next;
  }

  /** Runs what every active release left unsettled; call once after a start. */
  async recover(): Promise<void> {
    this.halted = false;
    for (const release of await this.options.repository.active(this.options.environment))
      void this.serial(release.id, () => this.drive(release.id));
  }

  start(): void {
    this.halted = false;
    const tickMs = this.options.tickMs ?? 1000;
    this.ticker = setInterval(() => void this.tick().catch((err) => this.options.onError?.(err)), tickMs);
    this.ticker.unref();
  }

  async stop(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    await Promise.allSettled([...this.chains.values()]);
  }

  /**
   * Stops driving releases at once, for a replica that no longer leads: a command already
   * running finishes, but its outcome is not recorded and no further command starts, so the
   * replica that resumes the release runs it again (every command is safe to repeat, as after
   * a crash). recover() starts driving again.
   */
  async halt(): Promise<void> {
    this.halted = true;
    await this.stop();
  }

  /**
   * A change by hand outside a release (a share, the legacy share, a track's version or
   * replicas): the new desired state is recorded before anything changes live, so a crash in
   * between comes back to the recorded state. When applying fails, what it changed is put
   * back and recorded too.
   */
  async changeLive(change: LiveChange): Promise<void> {
    const { target, recorder } = this.options;
    const environment = target.service(change.service).env;
    const before = target.desiredState(change.service);
    await recorder.record({
      environment,
      service: change.service,
      state: change.state,
      message: change.message,
      author: change.author,
    });
    try {
      await change.apply();
    } catch (err) {
      await change.undo().catch((undoErr) => this.options.onError?.(undoErr));
      const why = err instanceof Error ? err.message : String(err);
      await recorder.record({
        environment,
        service: change.service,
        state: before,
        message: `${change.service}: not applied, put back (${why.split('\n')[0]})`,
        author: change.author,
      });
      throw err;
    }
  }

  /** Waits until nothing is running for the release (tests, shutdown). */
  async settled(id: string): Promise<void> {
    await this.chains.get(id);
  }

  private async tick(): Promise<void> {
    if (this.halted) return;
    for (const release of await this.options.repository.active(this.options.environment)) {
      if (this.chains.has(release.id)) continue;
      void this.serial(release.id, async () => {
        const state = await this.load(release.id);
        const event: ReleaseEvent = { type: 'tick', at: this.at() };
        const next = transition(state, event);
        if (next.commands.length === 0 && next.state === state) return;
        await this.commit(state, event, next);
        await this.drive(release.id);
      });
    }
  }

  private async load(id: string): Promise<ReleaseState> {
    const state = await this.options.repository.get(id);
    if (!state)
      throw new SwitchyardError('SWY_RELEASE_NOT_FOUND', {
        message: `There is no release ${id}`,
        details: { release: id },
      });
    return state;
  }

  private async commit(before: ReleaseState, event: ReleaseEvent, next: Transition): Promise<void> {
    await this.options.repository.record(before.id, event, next);
    this.options.onEvent?.(next.state, event);
  }

  /** Runs queued commands one by one until none is left; each outcome is recorded as an event. */
  private async drive(id: string): Promise<void> {
    for (;;) {
      if (this.halted) return;
      const [command] = await this.options.repository.pending(id);
      if (!command) return;
      const state = await this.load(id);
      let event: ReleaseEvent;
      try {
        this.maybeCrash('kill-before', command.command.kind);
        const result = await this.run(state, command);
        this.maybeCrash('kill-after', command.command.kind);
        // A freeze holds a release at its stage; a rollback to a released version is how an incident ends, and goes on.
        const hold =
          command.command.kind === 'measure' && state.plan !== ROLLBACK_PLAN
            ? this.options.freeze?.(state.environment, this.clock.now())
            : undefined;
        event = {
          type: 'command-done',
          at: this.at(),
          seq: command.seq,
          ...(result ? { result } : {}),
          ...(hold ? { hold } : {}),
        };
      } catch (err) {
        event = {
          type: 'command-failed',
          at: this.at(),
          seq: command.seq,
          error: err instanceof Error ? err.message : String(err),
        };
      }
      if (this.halted) return;
      await this.commit(state, event, transition(state, event));
    }
  }

  private async run(release: ReleaseState, { seq, command }: SequencedCommand): Promise<Measurement | undefined> {
    const { target, recorder } = this.options;
    const service = release.service;
    switch (command.kind) {
      case 'set-track':
        await target.setTrack(service, command.track, command.version);
        break;
      case 'set-share':
        await retry(() => target.setShare(service, command.group, command.share));
        break;
      case 'route-group':
        await retry(() => target.routeGroup(service, command.group, command.track));
        break;
      case 'set-legacy-share':
        await retry(() => target.setLegacyShare(service, command.share));
        break;
      case 'record':
        await recorder.record({
          environment: release.environment,
          service,
          state: target.desiredState(service),
          message: command.message,
          author: release.createdBy,
          release: { id: release.id, seq },
        });
        return undefined;
      case 'snapshot':
      case 'measure':
        return this.options.metrics.measure(release, this.clock.now());
      case 'notify':
        await this.options.notifier
          .notify(command.level, command.message, release)
          .catch((err) => this.options.onError?.(err));
        return undefined;
    }
    if (command.kind === 'set-track' || ROUTER_COMMANDS.has(command.kind))
      await recorder.save(release.environment, service, target.desiredState(service));
    return undefined;
  }

  private readonly faultCounts = new Map<string, number>();

  private maybeCrash(when: 'kill-before' | 'kill-after', kind: Command['kind']): void {
    const [point, faultKind, nth] = (this.options.fault ?? '').split(':');
    if (point !== when || faultKind !== kind) return;
    const count = (this.faultCounts.get(kind) ?? 0) + 1;
    this.faultCounts.set(kind, count);
    if (count === Number(nth)) process.kill(process.pid, 'SIGKILL');
  }

  private serial<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(id) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next
      .catch((err) => this.options.onError?.(err))
      .finally(() => {
        if (this.chains.get(id) === tail) this.chains.delete(id);
      });
    this.chains.set(id, tail);
    return next;
  }
}

/** Router changes are quick and safe to repeat: a passing hiccup (HAProxy restarting) is retried. */
async function retry(work: () => Promise<void>, attempts = 5): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return await work();
    } catch (err) {
      if (i >= attempts || (err instanceof SwitchyardError && err.kind === 'input')) throw err;
      await new Promise((r) => setTimeout(r, 100 * 2 ** i));
    }
  }
}
