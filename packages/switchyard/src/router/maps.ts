import type { Service } from '../spec/index.js';
import { routeGroup, type RoutingState } from './routing-state.js';

/**
 * The map files a router reads its split from: what the Runtime API changes live and what a
 * restarted router loads again. `renderMaps` writes them and `routingFromMaps` reads them
 * back, so a router's files (a ConfigMap in the cluster) say by themselves what the split is.
 */

export const MAP_FILES = {
  groups: 'groups.map',
  pinned: 'pinned.map',
  canary: 'canary.map',
  shares: 'shares.map',
  legacy: 'legacy.map',
} as const;

/** Share buckets per 100%: shares have 0.01% steps, so a user falls in one of 10,000 buckets. */
export const BUCKETS = 10_000;

export function basisPoints(share: number): number {
  return Math.round(share * (BUCKETS / 100));
}

function percent(basisPoints: string): number {
  return Math.round(Number(basisPoints) * (10_000 / BUCKETS)) / 100;
}

/** Where a map file sits for a router whose map files are in `mapsDir`: the configuration and the Runtime API name it the same way. */
export function mapFile(mapsDir: string, file: string): string {
  return `${mapsDir}/${file}`;
}

/** The content of every map file for a routing state; keys sorted so output is stable. */
export function renderMaps(service: Service, routing: RoutingState): Record<string, string> {
  const lines = (entries: [string, string | number][]): string =>
    entries
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k} ${v}\n`)
      .join('');
  const groups = service.traffic.groups;
  return {
    [MAP_FILES.groups]: lines(groups.map((g) => [g.name, g.name])),
    [MAP_FILES.pinned]: lines(
      groups.filter((g) => g.pinnedTrack).map((g) => [g.name, routing.routes?.[g.name] ?? (g.pinnedTrack as string)]),
    ),
    [MAP_FILES.canary]: lines(
      groups.filter((g) => g.canaryTrack && g.canaryAllowed).map((g) => [g.name, g.canaryTrack as string]),
    ),
    [MAP_FILES.shares]: lines(
      groups
        .filter((g) => g.canaryTrack && g.canaryAllowed)
        .map((g) => [g.name, basisPoints(routing.shares[g.name] ?? 0)]),
    ),
    [MAP_FILES.legacy]: lines(service.legacy ? [['share', basisPoints(routing.legacyShare)]] : []),
  };
}

function entries(text: string | undefined): [string, string][] {
  return (text ?? '')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((parts): parts is [string, string] => parts.length === 2 && parts[0] !== '');
}

/** The routing state the map files hold: the inverse of renderMaps. */
export function routingFromMaps(service: Service, maps: Readonly<Record<string, string>>): RoutingState {
  const shares: Record<string, number> = {};
  for (const [group, value] of entries(maps[MAP_FILES.shares])) shares[group] = percent(value);
  const legacy = entries(maps[MAP_FILES.legacy]).find(([key]) => key === 'share');
  let routes: Record<string, string> = {};
  for (const [group, track] of entries(maps[MAP_FILES.pinned])) {
    if (service.traffic.groups.some((g) => g.name === group && g.pinnedTrack))
      routes = routeGroup(service, routes, group, track);
  }
  return {
    shares,
    legacyShare: legacy ? percent(legacy[1]) : 0,
    ...(Object.keys(routes).length > 0 ? { routes } : {}),
  };
}
