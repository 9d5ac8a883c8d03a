import type { TrackEvent, TrackStatus } from '../port.js';
import type { LocalRouter } from './local-router.js';
import type { Service } from '../../spec/index.js';
import { LivenessWatch, runProbe } from './probe.js';
import { environOf, terminate } from './proc.js';
import type { ProcessRecord, RecordedProcess } from './process-record.js';
import { Replica } from './replica.js';
import { SwitchyardError } from '../../errors/index.js';

export interface TrackRunnerOptions {
  readonly service: Service;
  readonly track: string;
  readonly router: LocalRouter;
  readonly cwd: string;
  readonly logDir: string;
  readonly host: string;
  readonly onEvent?: (event: TrackEvent) => void;
  /** Where replicas are written down before they start (see process-record.ts). */
  readonly record?: ProcessRecord;
}

interface Member {
  readonly replica: Replica;
  slot?: string | undefined;
  /** Set when Switchyard stops it on purpose; an exit is then not a crash. */
  retiring: boolean;
  restarts: number;
  startedAt: number;
  liveness?: LivenessWatch;
}

const BACKOFF_MAX_MS = 30_000;

/** A command may name its build by version, e.g. `[node, builds/{version}/server.mjs]`. */
export function versionedCommand(command: readonly string[], version: string): string[] {
  return command.map((arg) => arg.replaceAll('{version}', version));
}

/**
 * Keeps one track of one service at its desired version and replica count: starts replicas,
 * puts them into the router when ready, restarts crashed ones with backoff, and rolls a
 * version or count change one replica at a time (new one ready before an old one drains).
 */
export class TrackRunner {
  private version: string;
  private desired: number;
  private members: Member[] = [];
  private counter = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: TrackRunnerOptions) {
    const track = options.service.tracks.find((t) => t.name === options.track);
    if (!track)
      throw new SwitchyardError('SWY_SPEC_TRACK_NOT_FOUND', {
        message: `${options.service.name} has no track ${options.track}`,
      });
    this.version = track.version;
    this.desired = track.replicas;
  }

  get track(): string {
    return this.options.track;
  }

  status(): TrackStatus {
    return {
      track: this.options.track,
      version: this.version,
      desired: this.desired,
      // Ready for users: started, in the router, and passing the router's health checks.
      ready: this.members.filter((m) => m.slot && this.stateOf(m) === 'ready').length,
      replicas: this.members.map((m) => ({
        name: m.replica.spec.name,
        version: m.replica.spec.version,
        port: m.replica.port,
        ...(m.replica.pid ? { pid: m.replica.pid } : {}),
        state: this.stateOf(m),
      })),
    };
  }

  /** A replica in the words status uses: `failing-checks` when it runs but the router's health checks take it out. */
  private stateOf(m: Member): string {
    if (m.retiring) return 'retiring';
    if (m.replica.state !== 'ready' || !m.slot) return m.replica.state;
    return this.options.router.serverUp(this.options.track, m.slot) === false ? 'failing-checks' : 'ready';
  }

  /** Pids of the running replicas (for tests and status). */
  pids(): number[] {
    return this.members.map((m) => m.replica.pid).filter((p): p is number => p !== undefined);
  }

  start(): Promise<void> {
    return this.serial(() => this.converge());
  }

  /**
   * Keeps the replicas the previous control plane left that still serve this track: recorded
   * for it, in one of its router slots, and answering their readiness probe. The others are
   * stopped. A replica of a version the desired state no longer wants is replaced by the normal
   * roll on start(); one that was draining finishes leaving. Returns what it kept and stopped.
   */
  adopt(leftovers: readonly RecordedProcess[]): Promise<{ adopted: number; stopped: number }> {
    return this.serial(async () => {
      let [adopted, stopped] = [0, 0];
      const draining: Member[] = [];
      for (const entry of leftovers) {
        this.counter = Math.max(this.counter, Number(/-(\d+)$/.exec(entry.name)?.[1] ?? 0));
        const slot =
          entry.port !== undefined
            ? this.options.router.slotOf(this.options.track, this.options.host, entry.port)
            : undefined;
        const replica = Replica.adopt(
          this.replicaSpec(entry.name, entry.version ?? this.version),
          entry.pid as number,
          entry.port ?? 0,
        );
        if (
          !slot ||
          !this.startedFor(entry) ||
          !(await runProbe(this.options.service.probes.readiness, replica.target))
        ) {
          await terminate(entry.pid as number, this.options.service.terminationGraceSeconds * 1000);
          await replica.exited;
          stopped++;
          continue;
        }
        this.options.record?.keep(entry);
        const member: Member = { replica, slot: slot.name, retiring: false, restarts: 0, startedAt: 0 };
        this.members.push(member);
        replica.onExit((code, signal) => void this.crashed(member, code, signal));
        this.watch(member);
        if (slot.state === 'draining') draining.push(member);
        adopted++;
      }
      await this.options.router.freeUnclaimed(
        this.options.track,
        this.members.map((m) => m.slot as string),
      );
      for (const member of draining) await this.retire(member);
      return { adopted, stopped };
    });
  }

  /** Rolls to a version and/or replica count, one replica at a time, without dropping a request. */
  update(change: { version?: string; replicas?: number }): Promise<void> {
    return this.serial(async () => {
      if (change.version !== undefined) this.version = change.version;
      if (change.replicas !== undefined) this.desired = change.replicas;
      await this.converge();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.serial(async () => {
      await Promise.all(this.members.map((m) => this.retire(m)));
    });
  }

  /** Kills every replica at once, without draining (Switchyard must leave now). */
  kill(): void {
    this.stopped = true;
    for (const m of this.members) {
      m.liveness?.stop();
      m.replica.kill();
    }
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async converge(): Promise<void> {
    // Replace replicas of another version one by one: the new one serves before the old one drains.
    for (const old of this.members.filter((m) => m.replica.spec.version !== this.version && !m.retiring)) {
      if (this.live().length <= this.desired) await this.launch();
      await this.retire(old);
    }
    const missing = this.desired - this.live().length;
    if (missing > 0) await Promise.all(Array.from({ length: missing }, () => this.launch()));
    for (const extra of this.live().slice(this.desired).reverse()) await this.retire(extra);
  }

  private live(): Member[] {
    return this.members.filter((m) => !m.retiring);
  }

  /** The process says it runs this track at the recorded version (the variables it was started with). */
  private startedFor(entry: RecordedProcess): boolean {
    const env = environOf(entry.pid as number);
    return (
      env.get('SWITCHYARD_SERVICE') === this.options.service.name &&
      env.get('SWITCHYARD_TRACK') === this.options.track &&
      env.get('SWITCHYARD_VERSION') === entry.version
    );
  }

  private newReplica(): Replica {
    this.counter++;
    return new Replica(
      this.replicaSpec(`${this.options.service.name}-${this.options.track}-${this.counter}`, this.version),
    );
  }

  private replicaSpec(name: string, version: string): ConstructorParameters<typeof Replica>[0] {
    const { service, track } = this.options;
    return {
      service: service.name,
      track,
      version,
      name,
      command: versionedCommand(service.command ?? [], version),
      cwd: this.options.cwd,
      env: {
        ...service.envVars,
        SWITCHYARD_ENV: service.env,
        SWITCHYARD_SERVICE: service.name,
        SWITCHYARD_TRACK: track,
        SWITCHYARD_VERSION: version,
      },
      ...(service.probes.readiness ? { readiness: service.probes.readiness } : {}),
      logDir: this.options.logDir,
      graceMs: service.terminationGraceSeconds * 1000,
      host: this.options.host,
      kind: 'replica',
      ...(this.options.record ? { record: this.options.record } : {}),
    };
  }

  /** Acts on the liveness probe as the kubelet does: after failureThreshold failures in a row the replica is killed and replaced. */
  private watch(member: Member): void {
    const probe = this.options.service.probes.liveness;
    if (!probe) return;
    member.liveness = new LivenessWatch(
      probe,
      member.replica.target,
      (failures) => void this.unhealthy(member, failures),
    );
    member.liveness.start(member.replica.startedAt);
  }

  /** Out of the router at once, then stopped; its exit is a crash (event, backoff, a new replica). */
  private async unhealthy(member: Member, failures: number): Promise<void> {
    if (member.retiring || this.stopped) return;
    const { service, track } = this.options;
    this.options.onEvent?.({
      type: 'replica-unhealthy',
      service: service.name,
      track,
      replica: member.replica.spec.name,
      failures,
    });
    const slot = member.slot;
    member.slot = undefined;
    if (slot) await this.options.router.removeServer(track, slot).catch(() => undefined);
    await member.replica.stop();
  }

  private async launch(restarts = 0): Promise<Member> {
    const replica = this.newReplica();
    const member: Member = { replica, retiring: false, restarts, startedAt: Date.now() };
    this.members.push(member);
    try {
      await replica.start();
    } catch (err) {
      this.members = this.members.filter((m) => m !== member);
      throw err;
    }
    replica.onExit((code, signal) => void this.crashed(member, code, signal));
    member.slot = await this.options.router.addServer(this.options.track, this.options.host, replica.port);
    this.watch(member);
    this.options.onEvent?.({
      type: 'replica-ready',
      service: this.options.service.name,
      track: this.options.track,
      replica: replica.spec.name,
      version: replica.spec.version,
      port: replica.port,
    });
    return member;
  }

  /** Drain in the router first, then stop the process, then free its slot. */
  private async retire(member: Member): Promise<void> {
    member.retiring = true;
    member.liveness?.stop();
    if (member.slot) await this.options.router.drainServer(this.options.track, member.slot).catch(() => undefined);
    await member.replica.stop();
    if (member.slot) await this.options.router.removeServer(this.options.track, member.slot).catch(() => undefined);
    this.members = this.members.filter((m) => m !== member);
  }

  private async crashed(member: Member, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    if (member.retiring || this.stopped) return;
    member.retiring = true;
    member.liveness?.stop();
    if (member.slot) await this.options.router.removeServer(this.options.track, member.slot).catch(() => undefined);
    this.members = this.members.filter((m) => m !== member);
    // A replica that stayed up a minute earns a fresh backoff.
    const restarts = Date.now() - member.startedAt > 60_000 ? 0 : member.restarts;
    const delay = this.backoff(restarts);
    this.options.onEvent?.({
      type: 'replica-crashed',
      service: this.options.service.name,
      track: this.options.track,
      replica: member.replica.spec.name,
      code,
      signal,
      restartInMs: delay,
    });
    this.scheduleRestart(restarts, member.replica.spec.name);
  }

  private backoff(restarts: number): number {
    return Math.min(BACKOFF_MAX_MS, 250 * 2 ** restarts);
  }

  private scheduleRestart(restarts: number, name: string): void {
    setTimeout(() => {
      if (this.stopped) return;
      void this.serial(async () => {
        if (this.stopped || this.live().length >= this.desired) return;
        await this.launch(restarts + 1).catch((err: Error) => {
          this.options.onEvent?.({
            type: 'replica-restart-failed',
            service: this.options.service.name,
            track: this.options.track,
            replica: name,
            error: err.message,
          });
          this.scheduleRestart(restarts + 1, name);
        });
      });
    }, this.backoff(restarts)).unref();
  }
}
