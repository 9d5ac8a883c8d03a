import { BUCKETS, MAP_FILES, type RoutingState } from '../../router/index.js';
import type { Service } from '../../spec/index.js';

function entries(text: string | undefined): [string, string][] {
  return (text ?? '')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((parts): parts is [string, string] => parts.length === 2 && parts[0] !== '');
}

/**
 * The routing state written in a router's ConfigMap (its map files): the inverse of
 * renderMaps, so that the cluster itself says what the split is.
 */
export function routingFromMaps(service: Service, data: Readonly<Record<string, string>>): RoutingState {
  const percent = (basisPoints: string): number => Math.round(Number(basisPoints) * (10_000 / BUCKETS)) / 100;
  const shares: Record<string, number> = {};
  for (const [group, value] of entries(data[MAP_FILES.shares])) shares[group] = percent(value);
  const legacy = entries(data[MAP_FILES.legacy]).find(([key]) => key === 'share');
  const routes: Record<string, string> = {};
  for (const [group, track] of entries(data[MAP_FILES.pinned])) {
    const own = service.traffic.groups.find((g) => g.name === group)?.pinnedTrack;
    if (own !== undefined && track !== own) routes[group] = track;
  }
  return { shares, legacyShare: legacy ? percent(legacy[1]) : 0, ...(Object.keys(routes).length > 0 ? { routes } : {}) };
}
