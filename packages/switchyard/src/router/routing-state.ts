import type { Service } from '../spec/index.js';

/** What a router's traffic split is right now: the part of its configuration that changes live. */
export interface RoutingState {
  /** Group → percentage of its users on its canary track. */
  readonly shares: Readonly<Record<string, number>>;
  /** Percentage of all traffic still sent to the legacy backend. */
  readonly legacyShare: number;
  /** Pinned groups sent elsewhere for a while (internal users to stable during a rollback). */
  readonly routes?: Readonly<Record<string, string>>;
}

/** The split a service's spec declares, before any release changes it. */
export function initialRouting(service: Service): RoutingState {
  const shares: Record<string, number> = {};
  for (const group of service.traffic.groups) {
    if (group.canaryTrack && group.canaryAllowed) shares[group.name] = group.share;
  }
  return { shares, legacyShare: service.legacy?.share ?? 0 };
}

/**
 * The routes once `group` goes to `track`: a pinned group back on its own track is not routed
 * elsewhere any more, so the state only says what differs from the spec.
 */
export function routeGroup(
  service: Service,
  routes: Readonly<Record<string, string>> | undefined,
  group: string,
  track: string,
): Record<string, string> {
  const own = service.traffic.groups.find((g) => g.name === group)?.pinnedTrack;
  const { [group]: _dropped, ...others } = routes ?? {};
  return track === own ? others : { ...others, [group]: track };
}
