import type { LocalRouter } from '../../router/local-router.js';
import type { Service } from '../../spec/index.js';
import { Replica } from './replica.js';

export interface TrackRunnerOptions {
  readonly service: Service;
  readonly track: string;
  readonly router: LocalRouter;
  readonly cwd: string;
  readonly logDir: string;
  readonly host: string;
  readonly onEvent?: (event: TrackEvent) => void;
}

export type TrackEvent =
  | { type: 'replica-ready'; service: string; track: string; replica: string; version: string; port: number }
  | { type: 'replica-crashed'; service: string; track: string; replica: string; code: number | null; signal: string | null; restartInMs: number }
  | { type: 'replica-restart-failed'; service: string; track: string; replica: string; error: string };

interface Member {
  readonly replica: Replica;
  slot?: string;
  /** Set when Switchyard stops it on purpose; an exit is then not a crash. */
  retiring: boolean;
  restarts: number;
  startedAt: number;
}

export interface TrackStatus {
  readonly track: string;
  readonly version: string;
  readonly desired: number;
  readonly ready: number;
  readonly replicas: readonly { name: string; version: string; port: number; pid?: number; state: string }[];
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
    if (!track) throw new Error(`no track ${options.track}`);
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
      ready: this.members.filter((m) => m.replica.state === 'ready' && m.slot && !m.retiring).length,
      replicas: this.members.map((m) => ({ name: m.replica.spec.name, version: m.replica.spec.version, port: m.replica.port, ...(m.replica.pid ? { pid: m.replica.pid } : {}), state: m.retiring ? 'retiring' : m.replica.state })),
    };
  }

  /** Pids of the running replicas (for tests and status). */
  pids(): number[] {
    return this.members.map((m) => m.replica.pid).filter((p): p is number => p !== undefined);
  }

  start(): Promise<void> {
    return this.serial(() => this.converge());
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

  private newReplica(): Replica {
    const { service, track } = this.options;
    this.counter++;
    return new Replica({
      service: service.name,
      track,
      version: this.version,
      name: `${service.name}-${track}-${this.counter}`,
      command: versionedCommand(service.command ?? [], this.version),
      cwd: this.options.cwd,
      env: { ...service.envVars, SWITCHYARD_ENV: service.env, SWITCHYARD_SERVICE: service.name, SWITCHYARD_TRACK: track, SWITCHYARD_VERSION: this.version },
      ...(service.probes.readiness ? { readiness: service.probes.readiness } : {}),
      logDir: this.options.logDir,
      graceMs: service.terminationGraceSeconds * 1000,
      host: this.options.host,
    });
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
    this.options.onEvent?.({ type: 'replica-ready', service: this.options.service.name, track: this.options.track, replica: replica.spec.name, version: replica.spec.version, port: replica.port });
    return member;
  }

  /** Drain in the router first, then stop the process, then free its slot. */
  private async retire(member: Member): Promise<void> {
    member.retiring = true;
    if (member.slot) await this.options.router.drainServer(this.options.track, member.slot).catch(() => undefined);
    await member.replica.stop();
    if (member.slot) await this.options.router.removeServer(this.options.track, member.slot).catch(() => undefined);
    this.members = this.members.filter((m) => m !== member);
  }

  private async crashed(member: Member, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    if (member.retiring || this.stopped) return;
    member.retiring = true;
    if (member.slot) await this.options.router.removeServer(this.options.track, member.slot).catch(() => undefined);
    this.members = this.members.filter((m) => m !== member);
    // A replica that stayed up a minute earns a fresh backoff.
    const restarts = Date.now() - member.startedAt > 60_000 ? 0 : member.restarts;
    const delay = this.backoff(restarts);
    this.options.onEvent?.({ type: 'replica-crashed', service: this.options.service.name, track: this.options.track, replica: member.replica.spec.name, code, signal, restartInMs: delay });
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
          this.options.onEvent?.({ type: 'replica-restart-failed', service: this.options.service.name, track: this.options.track, replica: name, error: err.message });
          this.scheduleRestart(restarts + 1, name);
        });
      });
    }, this.backoff(restarts)).unref();
  }
}
