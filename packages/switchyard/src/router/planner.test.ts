import { describe, expect, it } from 'vitest';
import type { SwitchyardError } from '../errors/index.js';
import { baseTexts, serviceOf } from '../../test/support/config.js';
import { planRouting, restoreCommands } from './planner.js';
import type { RoutingState } from './routing-state.js';

const texts = baseTexts();
texts['services/api.yaml'] =
  `${texts['services/api.yaml']}tracks:\n  internal: { replicas: 2 }\n  free: { replicas: 2 }\n  production: { replicas: 2 }\ntraffic:\n  groups:\n    internal: { track: internal }\n    free: { canaryTrack: free, share: 5 }\n    enterprise: { canary: false }\nlegacy: { address: old:80, share: 40 }\n`;
const api = serviceOf(texts);
const routing: RoutingState = { shares: { free: 5 }, legacyShare: 40 };

describe('the routing planner', () => {
  it('plans a share change: the new split and one set map in the map directory, in basis points', () => {
    expect(planRouting(api, routing, { kind: 'share', group: 'free', share: 12.5 }, '/usr/local/etc/haproxy')).toEqual({
      routing: { shares: { free: 12.5 }, legacyShare: 40 },
      commands: ['set map /usr/local/etc/haproxy/shares.map free 1250'],
    });
  });

  it('plans a legacy share change', () => {
    expect(planRouting(api, routing, { kind: 'legacy-share', share: 0 }, '/data/routers/api')).toEqual({
      routing: { shares: { free: 5 }, legacyShare: 0 },
      commands: ['set map /data/routers/api/legacy.map share 0'],
    });
  });

  it('routes a pinned group elsewhere, and forgets the route when it goes back to its own track', () => {
    const away = planRouting(api, routing, { kind: 'route-group', group: 'internal', track: 'production' }, '/m');
    expect(away).toEqual({
      routing: { ...routing, routes: { internal: 'production' } },
      commands: ['set map /m/pinned.map internal production'],
    });
    const back = planRouting(api, away.routing, { kind: 'route-group', group: 'internal', track: 'internal' }, '/m');
    expect(back).toEqual({ routing, commands: ['set map /m/pinned.map internal internal'] });
  });

  it('refuses what the traffic policy does not allow, before anything is planned', () => {
    const refused = (change: Parameters<typeof planRouting>[2]) => {
      try {
        planRouting(api, routing, change, '/m');
      } catch (err) {
        return (err as SwitchyardError).code;
      }
      return undefined;
    };
    expect(refused({ kind: 'share', group: 'enterprise', share: 5 })).toBe('SWY_ROUTER_GROUP_NEVER_CANARY');
    expect(refused({ kind: 'share', group: 'free', share: 100.5 })).toBe('SWY_ROUTER_SHARE_INVALID');
    expect(refused({ kind: 'route-group', group: 'free', track: 'production' })).toBe('SWY_SPEC_GROUP_NOT_FOUND');
    expect(refused({ kind: 'route-group', group: 'internal', track: 'nowhere' })).toBe('SWY_SPEC_TRACK_NOT_FOUND');
  });

  it('restores every map entry of a routing state', () => {
    expect(restoreCommands(api, { ...routing, routes: { internal: 'production' } }, '/m')).toEqual([
      'set map /m/groups.map enterprise enterprise',
      'set map /m/groups.map free free',
      'set map /m/groups.map internal internal',
      'set map /m/pinned.map internal production',
      'set map /m/canary.map free free',
      'set map /m/shares.map free 500',
      'set map /m/legacy.map share 4000',
    ]);
  });
});
