import type { UnitState } from '../render/index.js';
import type { RoutingState } from '../router/index.js';
import type { Service } from '../spec/index.js';
import type { Measurement, ReleaseEvent, ReleaseState, ReleaseStatus, SequencedCommand, Transition } from './types.js';

/** What the orchestrator needs from the place releases are kept. */
export interface ReleaseRepository {
  /** Stores a new release with its first transition; refuses (SWY_RELEASE_CONFLICT) when one is active for the service. */
  create(before: ReleaseState, event: ReleaseEvent, transition: Transition): Promise<void>;
  /** Appends the event, saves the new state, queues the new commands and settles a finished one — atomically. */
  record(id: string, event: ReleaseEvent, transition: Transition): Promise<void>;
  get(id: string): Promise<ReleaseState | undefined>;
  /** The active releases of one environment: what its orchestrator drives (a store may hold several environments). */
  active(environment: string): Promise<ReleaseState[]>;
  /** Commands queued and not yet settled, in order: what a restarted orchestrator runs. */
  pending(id: string): Promise<SequencedCommand[]>;
  /** Releases of the service that succeeded in the environment, newest first: what it brought and what it replaced on the stable track. */
  succeeded(
    service: string,
    environment: string,
  ): Promise<{ readonly version: string; readonly fromVersion: string | null }[]>;
}

/** Which releases to list; every one when a field is absent. */
export interface ReleaseQuery {
  readonly service?: string;
  readonly environment?: string;
  readonly statuses?: readonly ReleaseStatus[];
  /** Default 50. */
  readonly limit?: number;
}

/** An event as it was recorded, with its place in the history of every release. */
export interface RecordedEvent {
  /** Global, increasing across releases: what a stream resumes after. */
  readonly seq: number;
  readonly releaseId: string;
  readonly at: Date;
  readonly type: string;
  /** The ReleaseEvent the engine recorded (or a note appended beside it). */
  readonly payload: unknown;
  /** The release's state right after the event (null for events recorded before it was kept). */
  readonly state: ReleaseState | null;
}

/** A release that ended, and when (its last recorded change). */
export interface EndedRelease {
  readonly release: ReleaseState;
  readonly endedAt: string;
}

/**
 * What the API reads of releases. It stands beside ReleaseRepository rather than in it: the
 * orchestrator (and any place that keeps releases for it) needs none of these queries, and
 * what reads releases cannot write a transition behind the orchestrator's back.
 */
export interface ReleaseReader {
  get(id: string): Promise<ReleaseState | undefined>;
  /** Several releases in one read; unknown ids are left out. */
  getMany(ids: readonly string[]): Promise<ReleaseState[]>;
  /** Newest first. */
  list(query: ReleaseQuery): Promise<ReleaseState[]>;
  /** The release of the service in progress in the environment, if any. */
  activeFor(service: string, environment: string): Promise<ReleaseState | undefined>;
  /**
   * Releases of the environment that ended in one of `statuses` at or after `since` and are still
   * their service's newest release; newest end first, at most `limit`.
   */
  ended(environment: string, statuses: readonly ReleaseStatus[], since: Date, limit: number): Promise<EndedRelease[]>;
  /** The events of one release, in order. */
  events(id: string): Promise<RecordedEvent[]>;
  /** Events of every release (or of one) after `seq`, in order: a reader resuming after the last seq it saw never skips one. */
  eventsAfter(seq: number, limit: number, releaseId?: string): Promise<RecordedEvent[]>;
  /** The newest event's seq (0 before any): where a stream that wants only what comes next starts. */
  latestSeq(): Promise<number>;
}

/** Where releases act: the runtime and its routers. */
export interface ReleaseTarget {
  service(name: string): Service;
  current(service: string): { versions: Record<string, string>; routing: RoutingState };
  /** Throws SWY_RELEASE_VERSION_UNKNOWN when the version cannot run here. */
  checkVersion(service: string, version: string): Promise<void>;
  setTrack(service: string, track: string, version: string): Promise<void>;
  setShare(service: string, group: string, share: number): Promise<void>;
  routeGroup(service: string, group: string, track: string): Promise<void>;
  setLegacyShare(service: string, share: number): Promise<void>;
  desiredState(service: string): UnitState;
}

export interface DesiredChange {
  readonly environment: string;
  readonly service: string;
  readonly state: UnitState;
  readonly message: string;
  readonly author: string;
  /** Set when a release made the change: a retried command finds its commit instead of making another. */
  readonly release?: { readonly id: string; readonly seq: number };
}

/** Records a desired-state change: the rendered objects in the config repository, the state in the store. */
export interface ChangeRecorder {
  record(change: DesiredChange): Promise<void>;
  /** Saves the desired state without a commit (after each router or track change). */
  save(environment: string, service: string, state: UnitState): Promise<void>;
}

export interface Notifier {
  notify(level: 'info' | 'warning' | 'error', message: string, release: ReleaseState): Promise<void>;
}

/**
 * What a release's gates judge: counters per track (cumulative since the routers started; the
 * machine takes differences), and the value of each Prometheus gate of the stage being observed.
 */
export interface MetricsSource {
  measure(release: ReleaseState, at: Date): Promise<Measurement>;
}

/** Reads one number from a Prometheus-compatible source. */
export interface PrometheusSource {
  query(url: string, promql: string): Promise<number | null>;
}

export interface Clock {
  now(): Date;
}
