import type { Service } from '../spec/index.js';
import { basisPoints, mapFile, MAP_FILES, renderMaps } from './maps.js';
import { routeGroup, type RoutingState } from './routing-state.js';
import { validateLegacyShare, validateRoute, validateShare } from './shares.js';

/** A change of a router's split, as a person or a release asks for it. */
export type RoutingChange =
  | { readonly kind: 'share'; readonly group: string; readonly share: number }
  | { readonly kind: 'legacy-share'; readonly share: number }
  /** A pinned group sent to another track (its own track again to undo). */
  | { readonly kind: 'route-group'; readonly group: string; readonly track: string };

/** What a change does to a router: the split it ends in, and the Runtime API commands that make it live. */
export interface RoutingPlan {
  readonly routing: RoutingState;
  readonly commands: readonly string[];
}

/** The Runtime API command that sets one entry (`key value`) of a map file. */
function setMap(mapsDir: string, file: string, entry: string): string {
  return `set map ${mapFile(mapsDir, file)} ${entry}`;
}

/**
 * Plans a change against the service's traffic policy (refusing one it does not allow, before
 * anything changes), for a router whose map files are in `mapsDir`. Every router, on this
 * machine or in the cluster, applies the same plan.
 */
export function planRouting(
  service: Service,
  routing: RoutingState,
  change: RoutingChange,
  mapsDir: string,
): RoutingPlan {
  switch (change.kind) {
    case 'share':
      validateShare(service, change.group, change.share);
      return {
        routing: { ...routing, shares: { ...routing.shares, [change.group]: change.share } },
        commands: [setMap(mapsDir, MAP_FILES.shares, `${change.group} ${basisPoints(change.share)}`)],
      };
    case 'legacy-share':
      validateLegacyShare(service, change.share);
      return {
        routing: { ...routing, legacyShare: change.share },
        commands: [setMap(mapsDir, MAP_FILES.legacy, `share ${basisPoints(change.share)}`)],
      };
    case 'route-group': {
      validateRoute(service, change.group, change.track);
      const routes = routeGroup(service, routing.routes, change.group, change.track);
      return {
        routing: {
          shares: routing.shares,
          legacyShare: routing.legacyShare,
          ...(Object.keys(routes).length > 0 ? { routes } : {}),
        },
        commands: [setMap(mapsDir, MAP_FILES.pinned, `${change.group} ${change.track}`)],
      };
    }
  }
}

/** Every entry of every map file as a Runtime API command: brings a running router to `routing` whatever it held. */
export function restoreCommands(service: Service, routing: RoutingState, mapsDir: string): string[] {
  return Object.entries(renderMaps(service, routing)).flatMap(([file, text]) =>
    text
      .split('\n')
      .filter(Boolean)
      .map((line) => setMap(mapsDir, file, line)),
  );
}
