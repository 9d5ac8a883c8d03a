import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SwitchyardError } from '../../errors/index.js';
import {
  backendName,
  configStructure,
  countsLatency,
  parseServersState,
  latencyTable,
  mapFile,
  parseShowStat,
  planRouting,
  renderHaproxyConfig,
  renderMaps,
  restoreCommands,
  SHOW_LATENCY,
  trackFigures,
  withLatency,
  type Router,
  type RouterServer,
  type RoutingChange,
  type RoutingState,
  type ServerStatus,
  type StatTable,
  type TrackFigures,
} from '../../router/index.js';
import type { Service } from '../../spec/index.js';
import { HaproxyProcess, type HaproxyBinary } from './haproxy-process.js';
import { ensurePortFree } from './net.js';
import type { ProcessLedger } from './process-ledger.js';
import type { Leftover, RouterEvent } from '../port.js';
import { mapEntries, routerLeftovers } from './router-leftovers.js';

export type SlotState = 'active' | 'draining' | 'free';

/** A server line of a track's backend; replicas come and go by taking and freeing slots. */
export interface Slot {
  readonly name: string;
  host: string;
  port: number;
  state: SlotState;
}

export interface LocalRouterOptions {
  readonly service: Service;
  readonly routing: RoutingState;
  /** Holds haproxy.cfg, the map files, sockets and the log of this router. */
  readonly dir: string;
  readonly host: string;
  readonly port: number;
  readonly statsPort: number;
  readonly binary: HaproxyBinary;
  readonly onEvent?: (event: RouterEvent) => void;
  /** After the leftovers it routes by changed (one appeared or went). */
  readonly onLeftovers?: () => void;
  /** Where its HAProxy is written down before it starts. */
  readonly record?: ProcessLedger;
}

/** A backend keeps spare slots so a version roll can add replicas before removing old ones. */
function slotCount(replicas: number): number {
  return Math.max(4, replicas * 2);
}

const UNIX_SOCKET_MAX = 100;
/** How often the router's own view of its servers is read, for status (ready servers, fallbacks). */
const WATCH_MS = 1000;
/** A router whose statistics went unread this long (it runs but does not answer) is not ready. */
const ANSWER_WINDOW_MS = 5 * WATCH_MS;
/** How often its servers and maps are compared with the desired state (the `leftovers` health check). */
const LEFTOVER_SCAN_MS = 5 * WATCH_MS;
const PLACEHOLDER = { host: '127.0.0.1', port: 1 } as const;

/**
 * One service's HAProxy on this machine. Every change goes to the configuration and map
 * files on disk first, then live through the Runtime API, so HAProxy never reloads for a
 * share change and a restarted HAProxy comes back in the same state.
 */
export class LocalRouter implements Router {
  readonly service: Service;
  private routing: RoutingState;
  private readonly slots = new Map<string, Slot[]>();
  private readonly process: HaproxyProcess;
  private queue: Promise<unknown> = Promise.resolve();
  /** What each file on disk holds, so a change rewrites only the files it touches. */
  private readonly written = new Map<string, string>();
  readonly configPath: string;
  /** The last `show stat` read: which servers HAProxy routes to right now. */
  private lastTable: StatTable | undefined;
  /** Counts slot changes: a table read before a slot's last change says nothing about it. */
  private changes = 0;
  private tableChanges = 0;
  /** When HAProxy last answered a read of its statistics (ms since the epoch). */
  private answeredAt = 0;
  private readonly slotChanged = new Map<string, number>();
  private watch: NodeJS.Timeout | undefined;
  private scannedAt = 0;
  private found: readonly Leftover[] = [];

  constructor(private readonly options: LocalRouterOptions) {
    this.service = options.service;
    this.routing = options.routing;
    this.configPath = join(options.dir, 'haproxy.cfg');
    const statsSocket = join(options.dir, 'admin.sock');
    if (statsSocket.length > UNIX_SOCKET_MAX) {
      throw new SwitchyardError('SWY_ROUTER_START_FAILED', {
        message: `The router directory ${options.dir} is too deep for a Unix socket path (${statsSocket.length} > ${UNIX_SOCKET_MAX} characters)`,
        hint: 'Choose a shorter --data-dir.',
      });
    }
    for (const track of this.service.tracks) {
      this.slots.set(
        track.name,
        Array.from({ length: slotCount(track.replicas) }, (_, i) => ({
          name: `s${i + 1}`,
          ...PLACEHOLDER,
          state: 'free' as const,
        })),
      );
    }
    this.process = new HaproxyProcess({
      binary: options.binary,
      configPath: this.configPath,
      statsSocket,
      masterSocket: join(options.dir, 'master.sock'),
      logPath: join(options.dir, 'haproxy.log'),
      service: this.service.name,
      ...(options.record ? { record: options.record } : {}),
      onExit: (code, signal) => options.onEvent?.({ type: 'haproxy-exited', service: this.service.name, code, signal }),
      onRestart: () => options.onEvent?.({ type: 'haproxy-restarted', service: this.service.name }),
    });
  }

  get address(): string {
    return `http://${this.options.host}:${this.options.port}`;
  }

  get statsAddress(): string {
    return `http://${this.options.host}:${this.options.statsPort}/stats`;
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  /** The router's replicas as health counts them: one HAProxy process, ready while it runs and answers. */
  get replicas(): { desired: number; ready: number } {
    const answers = Date.now() - this.answeredAt <= ANSWER_WINDOW_MS;
    return { desired: 1, ready: this.process.alive && answers ? 1 : 0 };
  }

  get api() {
    return this.process.api;
  }

  currentRouting(): RoutingState {
    return this.routing;
  }

  servers(track: string): readonly Slot[] {
    return this.slots.get(track) ?? [];
  }

  /** The argv its HAProxy runs with (what an adopted one must have been started with). */
  get command(): readonly string[] {
    return this.process.command;
  }

  async start(): Promise<void> {
    await ensurePortFree(this.options.host, this.options.port, `router of ${this.service.name}`);
    await ensurePortFree(this.options.host, this.options.statsPort, `router stats of ${this.service.name}`);
    await mkdir(this.options.dir, { recursive: true });
    await this.persist();
    this.process.validate();
    await this.process.start();
    await this.watchServers();
  }

  /**
   * Takes over the HAProxy the previous control plane left (`pid`, verified through the
   * process record) when it still answers: its servers and counters stay as they are, the
   * desired routing is applied live, and it reloads only if its structure changed. False when
   * it cannot be adopted (the caller stops it and starts a new one).
   */
  async adopt(pid: number): Promise<boolean> {
    if (!(await this.process.adopt(pid))) return false;
    await this.resume();
    await this.watchServers();
    return true;
  }

  private async watchServers(): Promise<void> {
    this.watch = setInterval(() => void this.refresh(), WATCH_MS);
    this.watch.unref();
    await this.refresh();
  }

  /** Takes the slots from the adopted HAProxy, then brings its routing (and if needed its configuration) to the desired state. */
  private async resume(): Promise<void> {
    const live = parseServersState(await this.process.api.send('show servers state'), PLACEHOLDER.port);
    for (const [track, slots] of this.slots) {
      const servers = live.filter((s) => s.backend === backendName(track));
      if (servers.length === 0) continue;
      const taken = servers.map((s) => ({
        name: s.server,
        host: s.state === 'free' ? PLACEHOLDER.host : s.host,
        port: s.state === 'free' ? PLACEHOLDER.port : s.port,
        state: s.state,
      }));
      for (const slot of slots.filter((s) => !taken.some((t) => t.name === s.name))) taken.push(slot);
      this.slots.set(track, taken);
    }
    const before = await readFile(this.configPath, 'utf8').catch(() => '');
    await this.persist();
    if (configStructure(before) !== configStructure(this.written.get('haproxy.cfg') ?? '')) {
      await this.process.reload();
      return;
    }
    // A key the running maps do not have (a group added to the spec) needs the files loaded again.
    await this.process.api
      .apply(restoreCommands(this.service, this.routing, this.options.dir))
      .catch(() => this.process.reload());
  }

  /** The slot of a track that routes to `host:port`, if any (an adopted replica finds its place). */
  slotOf(track: string, host: string, port: number): Slot | undefined {
    return this.trackSlots(track).find((s) => s.state !== 'free' && s.host === host && s.port === port);
  }

  /** Frees the slots of a track no replica holds any more (replicas that died while the control plane was down). */
  async freeUnclaimed(track: string, claimed: readonly string[]): Promise<void> {
    const stale = this.trackSlots(track).filter((s) => s.state !== 'free' && !claimed.includes(s.name));
    for (const slot of stale) await this.removeServer(track, slot.name);
  }

  /** Whether HAProxy routes to a server now (undefined before its first answer). */
  serverUp(track: string, slot: string): boolean | undefined {
    if ((this.slotChanged.get(`${track}/${slot}`) ?? 0) > this.tableChanges) return undefined;
    const server = this.lastTable?.servers.find((s) => s.backend === backendName(track) && s.server === slot);
    return server ? server.status.startsWith('UP') : undefined;
  }

  /** Tracks with no server HAProxy routes to: their groups go to the stable track. */
  tracksWithoutServer(): string[] {
    const table = this.lastTable;
    if (!table) return [];
    return this.service.tracks
      .map((t) => t.name)
      .filter(
        (t) =>
          t !== this.service.stableTrack &&
          !table.servers.some((s) => s.backend === backendName(t) && s.status.startsWith('UP')),
      );
  }

  private async refresh(): Promise<void> {
    const changes = this.changes;
    const table = await this.table().catch(() => undefined);
    if (table) this.answeredAt = Date.now();
    if (!table || changes < this.tableChanges) return;
    const before = this.lastTable;
    [this.lastTable, this.tableChanges] = [table, changes];
    if (before) this.tellChecks(before, table);
    if (Date.now() - this.scannedAt >= LEFTOVER_SCAN_MS) {
      this.scannedAt = Date.now();
      const found = await this.serial(() => this.scanLeftovers()).catch(() => this.found);
      const changed = JSON.stringify(found) !== JSON.stringify(this.found);
      this.found = found;
      if (changed) this.options.onLeftovers?.();
    }
  }

  /** Servers and map entries HAProxy routes by that no desired state explains, as last compared. */
  get leftovers(): readonly Leftover[] {
    return this.found;
  }

  /** Compares what HAProxy routes by with the slots and the desired maps (run between changes, never during one). */
  private async scanLeftovers(): Promise<Leftover[]> {
    const desired = renderMaps(this.service, this.routing);
    const files = Object.keys(desired);
    const [state, ...maps] = await Promise.all([
      this.process.api.send('show servers state'),
      ...files.map((file) => this.process.api.send(`show map ${mapFile(this.options.dir, file)}`)),
    ]);
    return routerLeftovers({
      socket: this.process.api.socketPath,
      mapsDir: this.options.dir,
      slots: this.slots,
      live: parseServersState(state ?? '', PLACEHOLDER.port),
      liveMaps: new Map(files.map((file, i) => [file, mapEntries(maps[i] ?? '')])),
      desiredMaps: new Map(Object.entries(desired).map(([file, text]) => [file, mapEntries(text)])),
    });
  }

  /** Tells of each replica's server that HAProxy's checks took out of the router or put back since the last read. */
  private tellChecks(before: StatTable, now: StatTable): void {
    const up = (s: ServerStatus | undefined) => s?.status.startsWith('UP') ?? false;
    for (const [track, slots] of this.slots) {
      const backend = backendName(track);
      for (const slot of slots) {
        if (slot.state !== 'active') continue;
        const find = (t: StatTable) => t.servers.find((s) => s.backend === backend && s.server === slot.name);
        const [was, is] = [find(before), find(now)];
        if (!was || !is || up(was) === up(is)) continue;
        this.options.onEvent?.({
          type: 'server-checks',
          service: this.service.name,
          track,
          port: slot.port,
          up: up(is),
        });
      }
    }
  }

  private changed(track: string, slot: string): void {
    this.slotChanged.set(`${track}/${slot}`, ++this.changes);
  }

  stop(graceMs?: number): Promise<void> {
    if (this.watch) clearInterval(this.watch);
    return this.process.stop(graceMs);
  }

  /** Called when the fleet begins to stop: HAProxy exiting from now on is not restarted. */
  stopSupervising(): void {
    this.process.stopSupervising();
  }

  setShare(group: string, share: number): Promise<void> {
    return this.change({ kind: 'share', group, share });
  }

  setLegacyShare(share: number): Promise<void> {
    return this.change({ kind: 'legacy-share', share });
  }

  routeGroup(group: string, track: string): Promise<void> {
    return this.change({ kind: 'route-group', group, track });
  }

  /** Puts a ready replica into rotation; returns the slot it took. */
  addServer(track: string, host: string, port: number): Promise<string> {
    return this.serial(async () => {
      const slots = this.trackSlots(track);
      let slot = slots.find((s) => s.state === 'free');
      if (!slot) {
        const grown = slots.length * 2;
        for (let i = slots.length; i < grown; i++) slots.push({ name: `s${i + 1}`, ...PLACEHOLDER, state: 'free' });
        await this.persist();
        await this.process.reload();
        slot = slots.find((s) => s.state === 'free') as Slot;
      }
      Object.assign(slot, { host, port, state: 'active' as const });
      await this.persist();
      const id = `${backendName(track)}/${slot.name}`;
      // Switchyard has seen the replica ready; mark it up at once instead of waiting for the first check.
      await this.process.api.apply([
        `set server ${id} addr ${host} port ${port}`,
        `set server ${id} state ready`,
        `set server ${id} health up`,
      ]);
      this.changed(track, slot.name);
      return slot.name;
    });
  }

  /** Stops sending new requests to a server and waits until its in-flight requests are done. */
  async drainServer(track: string, slotName: string, timeoutMs = 30_000): Promise<void> {
    await this.serial(async () => {
      const slot = this.slot(track, slotName);
      slot.state = 'draining';
      await this.persist();
      await this.process.api.apply([`set server ${backendName(track)}/${slotName} state drain`]);
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const server = (await this.table()).servers.find(
        (s) => s.backend === backendName(track) && s.server === slotName,
      );
      if (!server || server.currentSessions === 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Takes a server out entirely; its slot is free for the next replica. */
  removeServer(track: string, slotName: string): Promise<void> {
    return this.serial(async () => {
      const slot = this.slot(track, slotName);
      Object.assign(slot, { ...PLACEHOLDER, state: 'free' as const });
      await this.persist();
      await this.process.api.apply([`set server ${backendName(track)}/${slotName} state maint`]);
      this.changed(track, slotName);
    });
  }

  async table(): Promise<StatTable> {
    return parseShowStat(await this.process.api.send('show stat'));
  }

  /** Per-track counters, plus the legacy backend's when the service has one. */
  async figures(): Promise<TrackFigures[]> {
    const [stat, latency] = await Promise.all([
      this.process.api.send('show stat'),
      countsLatency(this.service) ? this.process.api.send(SHOW_LATENCY) : '',
    ]);
    const table = parseShowStat(stat);
    const tracks = this.service.tracks.map((t) => trackFigures(table, t.name, backendName(t.name)));
    const figures = this.service.legacy ? [...tracks, trackFigures(table, 'legacy', backendName('legacy'))] : tracks;
    return withLatency(figures, latencyTable(latency));
  }

  /**
   * Live first, then on disk: traffic follows the change at once, and the files are written
   * before the call returns. A crash in between leaves the old files, which the next start
   * rewrites from the desired state anyway.
   */
  private change(change: RoutingChange): Promise<void> {
    return this.serial(async () => {
      const previous = this.routing;
      const plan = planRouting(this.service, previous, change, this.options.dir);
      this.routing = plan.routing;
      try {
        await this.process.api.apply(plan.commands);
      } catch (err) {
        this.routing = previous;
        throw err;
      }
      await this.persist();
    });
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private trackSlots(track: string): Slot[] {
    const slots = this.slots.get(track);
    if (!slots) {
      throw new SwitchyardError('SWY_SPEC_TRACK_NOT_FOUND', {
        message: `${this.service.name} has no track ${track}`,
        hint: `Use one of: ${this.service.tracks.map((t) => t.name).join(', ')}.`,
      });
    }
    return slots;
  }

  private slot(track: string, name: string): Slot {
    const slot = this.trackSlots(track).find((s) => s.name === name);
    if (!slot)
      throw new SwitchyardError('SWY_INTERNAL_ERROR', {
        message: `The router of ${this.service.name} has no slot ${name} in track ${track}`,
      });
    return slot;
  }

  /** Writes haproxy.cfg and the maps atomically: a crash leaves the old or the new state, never half. */
  private async persist(): Promise<void> {
    const servers: Record<string, RouterServer[]> = {};
    for (const [track, slots] of this.slots) {
      servers[track] = slots.map((s) => ({
        name: s.name,
        host: s.host,
        port: s.port,
        ...(s.state === 'active' ? {} : { disabled: true }),
      }));
    }
    const config = renderHaproxyConfig({
      service: this.service,
      routing: this.routing,
      servers,
      bind: `${this.options.host}:${this.options.port}`,
      statsBind: `${this.options.host}:${this.options.statsPort}`,
      statsSocket: join(this.options.dir, 'admin.sock'),
      mapsDir: this.options.dir,
      dns: false,
    });
    const files: Record<string, string> = { 'haproxy.cfg': config, ...renderMaps(this.service, this.routing) };
    for (const [name, content] of Object.entries(files)) {
      if (this.written.get(name) === content) continue;
      const path = join(this.options.dir, name);
      await writeFile(`${path}.tmp`, content);
      await rename(`${path}.tmp`, path);
      this.written.set(name, content);
    }
  }
}
