import type { EndedRelease, ReleaseState } from '../release/index.js';
import type { CheckId, Severity } from '../spec/alerting.js';
import type { Fleet } from '../spec/index.js';
import type { QueueFigures } from './queue-history.js';

export { CHECKS, SEVERITIES, type CheckId, type Severity } from '../spec/alerting.js';

/** The environment's worst severity, or `ok` when nothing was found. */
export type Worst = Severity | 'ok';

/** A replica as a runtime reports it: a process on this machine or a pod. */
export interface RunningReplica {
  readonly name: string;
  readonly version?: string;
  readonly state: string;
}

/** A track as the runtime runs it; the Runtime port's TrackStatus is one. */
export interface RunningTrack {
  readonly track: string;
  /** The version the runtime wants the track on. */
  readonly version: string;
  readonly desired: number;
  readonly ready: number;
  readonly replicas: readonly RunningReplica[];
}

/** An object of a service that runs but that no desired state explains; the Runtime port's Leftover is one. */
export interface RunningLeftover {
  readonly kind: string;
  readonly name: string;
  readonly track?: string;
  readonly version?: string;
  readonly remove: string;
}

/** A service as the runtime runs it; the Runtime port's ServiceStatus is one. */
export interface RunningService {
  readonly service: string;
  /** The router's replicas: one HAProxy process on this machine, the router Deployment's pods on a cluster. */
  readonly router: { readonly desired: number; readonly ready: number };
  readonly tracks: readonly RunningTrack[];
  readonly leftovers?: readonly RunningLeftover[];
}

/** One class of a worker as the runtime runs it; the Runtime port's WorkerClassStatus is one. */
export interface RunningWorkerClass {
  readonly worker: string;
  readonly workerClass: string;
  readonly desired: number;
  readonly ready: number;
  readonly replicas: readonly { readonly name: string; readonly state: string }[];
}

/** Everything one evaluation reads: the spec, what runs, and the releases in progress. */
export interface HealthInput {
  readonly fleet: Fleet;
  readonly services: readonly RunningService[];
  readonly workers: readonly RunningWorkerClass[];
  /** Releases in progress (running, paused, rolling back) of this environment. */
  readonly releases: readonly ReleaseState[];
  /**
   * Releases that ended rolled back, aborted or failed within the last hour (ENDED_HOLD_MS) and are
   * still their service's newest release.
   */
  readonly ended?: readonly EndedRelease[];
  /** Alert receivers failing to take notifications. */
  readonly receivers?: readonly FailingReceiver[];
  /** The workers' queues as the broker counts them; absent when no broker is configured to read. */
  readonly broker?: BrokerReading;
}

/** The queues' figures, or why the broker could not be read. */
export type BrokerReading =
  | {
      readonly reachable: true;
      /** The figures of each queue the broker has, by name. */
      readonly queues: ReadonlyMap<string, QueueFigures>;
    }
  | {
      readonly reachable: false;
      /** Where it was read (no credentials). */
      readonly at: string;
      readonly error: string;
    };

/** A receiver of alerts that fails to take notifications (the alerts' outbox reports it). */
export interface FailingReceiver {
  readonly receiver: string;
  /** When the first failed attempt of the current run of failures was (RFC 3339). */
  readonly since: string;
  readonly attempts: number;
  /** Notifications waiting for it. */
  readonly waiting: number;
  readonly error: string;
}

/** Something off in the environment, and what to do about it. */
export interface Finding {
  readonly check: CheckId;
  readonly severity: Severity;
  /** The service or worker. */
  readonly unit: string;
  /** The track, the worker class, `router`, or the release's stage. */
  readonly part: string;
  /** When this finding was first seen, kept across evaluations while it lasts (RFC 3339). */
  readonly since: string;
  /** The objects involved: replicas, pods, processes, releases. */
  readonly objects: readonly string[];
  readonly message: string;
  /** What a person should do. */
  readonly hint: string;
  /**
   * Set when a release in progress causes this finding itself (docs/health.md, "Releases in
   * progress"): still listed with its severity, but no alert fires for it.
   */
  readonly mutedBy?: { readonly release: string };
}

/**
 * A finding as a check makes it, before its first-seen time is known; a finding about something
 * that happened (a release that ended) carries when it happened as its `since`.
 */
export type Observation = Omit<Finding, 'since'> & { readonly since?: string };

export interface HealthReport {
  readonly environment: string;
  readonly at: string;
  readonly worst: Worst;
  readonly counts: Readonly<Record<Severity, number>>;
  /** Worst first, then by unit, part and check. */
  readonly findings: readonly Finding[];
}
