import { describe, expect, it } from 'vitest';
import { baseTexts, serviceOf } from '../../test/support/config.js';
import { renderMaps, routingFromMaps } from './maps.js';
import { planRouting } from './planner.js';
import { initialRouting, type RoutingState } from './routing-state.js';

function service() {
  const texts = baseTexts();
  texts['services/api.yaml'] =
    `${texts['services/api.yaml']}tracks:\n  internal: { replicas: 2 }\n  free: { replicas: 2 }\n  production: { replicas: 2 }\ntraffic:\n  groups:\n    internal: { track: internal }\n    free: { canaryTrack: free, share: 5 }\nlegacy: { address: old:80, share: 40 }\n`;
  return serviceOf(texts);
}

describe('routing from the router ConfigMap', () => {
  it('reads back what renderMaps wrote', () => {
    const api = service();
    const routing: RoutingState = { shares: { free: 12.5 }, legacyShare: 33.33, routes: { internal: 'production' } };
    expect(routingFromMaps(api, renderMaps(api, routing))).toEqual(routing);
    expect(routingFromMaps(api, renderMaps(api, { shares: { free: 0 }, legacyShare: 0 }))).toEqual({
      shares: { free: 0 },
      legacyShare: 0,
    });
  });

  const api = service();
  const start = initialRouting(api);
  const steps = (...changes: Parameters<typeof planRouting>[2][]): RoutingState =>
    changes.reduce((r, c) => planRouting(api, r, c, '/maps').routing, start);
  it.each<[string, RoutingState]>([
    ['the spec as declared', start],
    ['a canary at its smallest step', steps({ kind: 'share', group: 'free', share: 0.01 })],
    [
      'everyone on the canary, the legacy backend gone',
      steps({ kind: 'share', group: 'free', share: 100 }, { kind: 'legacy-share', share: 0 }),
    ],
    [
      'internal users sent to stable during a rollback',
      steps(
        { kind: 'route-group', group: 'internal', track: 'production' },
        { kind: 'share', group: 'free', share: 0 },
      ),
    ],
    [
      'internal users back on their own track',
      steps(
        { kind: 'route-group', group: 'internal', track: 'production' },
        { kind: 'route-group', group: 'internal', track: 'internal' },
      ),
    ],
    [
      'all of the legacy backend, shares with two decimals',
      steps({ kind: 'legacy-share', share: 100 }, { kind: 'share', group: 'free', share: 99.99 }),
    ],
  ])('renders and reads back %s', (_name, routing) => {
    expect(routingFromMaps(api, renderMaps(api, routing))).toEqual(routing);
  });
});
