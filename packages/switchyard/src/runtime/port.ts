import type { QueueDepthSource, QueueReadingSource, ScaleTarget } from '@switchyard/worker';
import type { ReleaseTarget } from '../release/index.js';
import type { UnitState } from '../render/index.js';
import type { Router, RoutingState } from '../router/index.js';
import type { Fleet } from '../spec/index.js';

/**
 * Where a fleet runs (local processes behind HAProxy on this machine, or a Kubernetes
 * cluster), as the server, the API and the release engine see it: one interface, whatever
 * runs it. Each runtime folder makes its own with `createRuntime(fleet, options)`.
 */
export interface Runtime extends ReleaseTarget {
  readonly fleet: Fleet;
  /**
   * Brings the fleet up and under watch. `states` is the desired state the store holds, to
   * come back to after a restart; a runtime that keeps its own (the cluster) reads that instead.
   */
  start(states?: Readonly<Record<string, UnitState>>): Promise<void>;
  /**
   * Serves `next` from now on (a new commit of the configuration, same environment): units
   * added start, units removed stop, units whose spec changed are brought to it now. `states`
   * is the desired state to run a changed or added unit with (what the server owns of it); a
   * unit not named there runs as its new spec says.
   */
  replaceFleet(next: Fleet, states: Readonly<Record<string, UnitState>>): Promise<void>;
  /** Lets go of what start() took: local replicas and routers drain and stop; a cluster keeps running. */
  stop(): Promise<void>;
  /**
   * Leaves at once, without draining (a second Ctrl-C): every replica and worker process this
   * runtime started on this machine is killed with what it started (a worker's task processes);
   * routers are left to the next start, which adopts them. A cluster keeps running.
   */
  stopAtOnce(): void;
  /** Starts what only the leading server replica runs (the workers' autoscalers); after start(). */
  lead(): Promise<void>;
  /** Stops what lead() started; reads keep being served. */
  follow(): Promise<void>;
  /** Every service as it runs: its router, routing and tracks. */
  status(): Promise<ServiceStatus[]>;
  /**
   * Calls `listener` whenever what status() and workerStatus() report may have changed (a watch
   * event on the cluster, a replica process that became ready or exited), from start() until
   * stop(); returns the function that unsubscribes. The listener schedules its own work.
   */
  onChange(listener: () => void): () => void;
  /** Every class of every worker as it runs. */
  workerStatus(): Promise<WorkerClassStatus[]>;
  trackStatus(service: string, track: string): Promise<TrackStatus>;
  /** Rolls a track to a version and/or replica count. */
  updateTrack(service: string, track: string, change: TrackChange): Promise<void>;
  /**
   * Holds the service's stable track at `floor` replicas at least (an open schedule window), or
   * lets it back to its own count (undefined). Where an autoscaler owns the count, its minimum
   * rises instead. The track's own count (updateTrack, the desired state) is kept apart.
   */
  setFloor(service: string, floor: number | undefined): Promise<void>;
  /** The service's router; throws SWY_SPEC_SERVICE_NOT_FOUND for a service it does not run. */
  router(service: string): Router;
  /** What the worker SDK's autoscaler drives for one class of a worker. */
  scaleTarget(worker: string, workerClass: 'normal' | 'fallback'): ScaleTarget;
}

export interface TrackChange {
  readonly version?: string;
  readonly replicas?: number;
}

/** What every runtime is made with; each adds its own settings. */
export interface RuntimeOptions {
  /** Where the runtime keeps its files on this machine (routers, logs, the process record). */
  readonly dataDir: string;
  readonly onEvent?: (event: RuntimeEvent) => void;
  /** Where workers find their broker and how their queues are measured. */
  readonly workers?: WorkerSettings;
}

export interface WorkerSettings {
  readonly env: Readonly<Record<string, string>>;
  readonly depth?: QueueDepthSource;
  /** Where fleet health reads every queue's figures (the same broker, whichever runtime). */
  readonly readings?: QueueReadingSource;
  readonly autoscaleIntervalMs?: number;
}

export interface ServiceStatus {
  readonly service: string;
  /** Where users send requests. */
  readonly address: string;
  /** The router's statistics page. */
  readonly stats: string;
  /** The router's process, when it runs on this machine. */
  readonly routerPid?: number;
  /**
   * The router's replicas: what runs it is meant to have and how many are ready (the local
   * runtime: its one HAProxy process; a cluster: the router Deployment as the live cache sees it).
   */
  readonly router: { readonly desired: number; readonly ready: number };
  readonly routing: RoutingState;
  readonly tracks: readonly TrackStatus[];
  /** What of the service runs but no desired state explains (the `leftovers` health check); absent or empty when nothing. */
  readonly leftovers?: readonly Leftover[];
}

/**
 * An object of a service that no desired state explains: a Deployment of a track or version
 * no longer desired (a cluster), a replica process no track runs or a router entry for a track
 * the service no longer has (this machine).
 */
export interface Leftover {
  /** `Deployment`, `ReplicaSet`, `Pod` (Kubernetes); `process`, `router-server`, `router-route` (local). */
  readonly kind: string;
  readonly name: string;
  /** The track it claims to serve, when it says. */
  readonly track?: string;
  readonly version?: string;
  /** The exact command that removes it. */
  readonly remove: string;
}

export interface TrackStatus {
  readonly track: string;
  readonly version: string;
  readonly desired: number;
  readonly ready: number;
  readonly replicas: readonly { name: string; version: string; port: number; pid?: number; state: string }[];
  /** Set when the router has no server of this track to send to: its groups are served by this (the stable) track. */
  readonly fallbackTo?: string;
}

export interface WorkerClassStatus {
  readonly worker: string;
  readonly workerClass: string;
  readonly queue: string;
  readonly desired: number;
  readonly ready: number;
  /**
   * `state` is `starting`, `waiting` (it runs but is not ready: `reason` says for what, e.g. the
   * broker), `ready`, `stopping`, or `restarting` (it failed; `reason` says how and when it restarts).
   */
  readonly replicas: readonly { name: string; pid?: number; port: number; state: string; reason?: string }[];
}

export type RouterEvent =
  | { type: 'haproxy-exited'; service: string; code: number | null; signal: string | null }
  | { type: 'haproxy-restarted'; service: string }
  /** The router's health checks took a replica's server out (its readiness probe fails) or put it back. */
  | { type: 'server-checks'; service: string; track: string; port: number; up: boolean };

export type TrackEvent =
  | { type: 'replica-ready'; service: string; track: string; replica: string; version: string; port: number }
  | {
      type: 'replica-crashed';
      service: string;
      track: string;
      replica: string;
      code: number | null;
      signal: string | null;
      restartInMs: number;
    }
  | { type: 'replica-restart-failed'; service: string; track: string; replica: string; error: string }
  | { type: 'replica-unhealthy'; service: string; track: string; replica: string; failures: number };

/** A worker replica that failed: when it restarts (backoff), its own last error lines, and its log file. */
interface WorkerFailure {
  worker: string;
  workerClass: string;
  replica: string;
  restartInMs: number;
  lastLines: string[];
  log: string;
}

export type WorkerEvent =
  | { type: 'worker-ready'; worker: string; workerClass: string; replica: string }
  | ({ type: 'worker-exited'; code: number | null; signal: string | null } & WorkerFailure)
  | ({ type: 'worker-start-failed'; error: string } & WorkerFailure)
  | { type: 'worker-scaled'; worker: string; workerClass: string; from: number; to: number };

/** What a start found of a previous run: processes that kept serving and were kept, and those stopped. */
export type RecoveryEvent = { type: 'recovered'; adopted: number; stopped: number };

/** A service's floor set by its schedule windows (null: let go, back to the track's own count). */
export type ScheduleEvent = { type: 'schedule-floor'; service: string; floor: number | null; windows: string[] };

/** A step of a change on a cluster, in words (applied objects, rollouts, unreachable routers). */
export type ProgressEvent = { type: 'progress'; line: string };

export type RuntimeEvent = RouterEvent | TrackEvent | WorkerEvent | RecoveryEvent | ProgressEvent | ScheduleEvent;
