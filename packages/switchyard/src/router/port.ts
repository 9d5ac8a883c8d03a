import type { RoutingState } from './routing-state.js';
import type { TrackFigures } from './stats.js';

/**
 * One service's router, wherever it runs (an HAProxy on this machine, router pods in the
 * cluster): its split changes live, without a reload, and its counters are read.
 */
export interface Router {
  /** The split it applies now. */
  currentRouting(): RoutingState;
  /** Moves `share`% of a group's users to its canary track; users already there stay. */
  setShare(group: string, share: number): Promise<void>;
  /** Sends `share`% of all traffic to the legacy backend. */
  setLegacyShare(share: number): Promise<void>;
  /** Sends a pinned group to `track` (its own track again to undo). */
  routeGroup(group: string, track: string): Promise<void>;
  /**
   * Cumulative counters per track, plus the legacy backend's when the service has one. Routers
   * the control plane cannot reach at all (router pods on nodes without a pod network) give
   * none; a router it runs itself that does not answer is an error.
   */
  figures(): Promise<TrackFigures[]>;
}
