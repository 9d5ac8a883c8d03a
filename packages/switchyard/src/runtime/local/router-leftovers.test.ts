import { describe, expect, it } from 'vitest';
import { mapEntries, routerLeftovers, type RouterView, type SlotView } from './router-leftovers.js';

const slot = (name: string, port?: number): SlotView =>
  port ? { name, host: '127.0.0.1', port, state: 'active' } : { name, host: '127.0.0.1', port: 1, state: 'free' };

function view(overrides: Partial<RouterView>): RouterView {
  return {
    socket: '/d/admin.sock',
    mapsDir: '/d',
    slots: new Map([
      ['stable', [slot('s1', 4001), slot('s2')]],
      ['canary', [slot('s1')]],
    ]),
    live: [
      { backend: 'track_stable', server: 's1', host: '127.0.0.1', port: 4001, state: 'active' },
      { backend: 'track_stable', server: 's2', host: '127.0.0.1', port: 1, state: 'free' },
      { backend: 'track_canary', server: 's1', host: '127.0.0.1', port: 1, state: 'free' },
    ],
    liveMaps: new Map([['canary.map', new Map([['beta', 'canary']])]]),
    desiredMaps: new Map([['canary.map', new Map([['beta', 'canary']])]]),
    ...overrides,
  };
}

describe('mapEntries', () => {
  it('reads a map file and the Runtime API listing alike', () => {
    expect([...mapEntries('beta canary\nall 2500\n')]).toEqual([
      ['beta', 'canary'],
      ['all', '2500'],
    ]);
    expect([...mapEntries('0x55d0c2b0 beta canary\n0x55d0c2e0 all 2500\n\n')]).toEqual([
      ['beta', 'canary'],
      ['all', '2500'],
    ]);
  });
});

describe('routerLeftovers', () => {
  it('finds nothing when HAProxy routes exactly what the runtime holds', () => {
    expect(routerLeftovers(view({}))).toEqual([]);
  });

  it('names a server in rotation whose slot is free, with the command that takes it out', () => {
    const live = [
      ...view({}).live.filter((s) => s.backend !== 'track_canary'),
      { backend: 'track_canary', server: 's1', host: '127.0.0.1', port: 9999, state: 'active' as const },
    ];
    expect(routerLeftovers(view({ live }))).toEqual([
      {
        kind: 'router-server',
        name: 'track_canary/s1 → 127.0.0.1:9999',
        track: 'canary',
        remove: "echo 'set server track_canary/s1 state maint' | socat stdio unix-connect:/d/admin.sock",
      },
    ]);
  });

  it('names a server routing elsewhere than the replica holding its slot', () => {
    const live = view({}).live.map((s) =>
      s.server === 's1' && s.backend === 'track_stable' ? { ...s, port: 4002 } : s,
    );
    expect(routerLeftovers(view({ live })).map((l) => l.name)).toEqual(['track_stable/s1 → 127.0.0.1:4002']);
  });

  it('does not count a draining server its slot still holds', () => {
    const slots = new Map([['stable', [{ ...slot('s1', 4001), state: 'draining' as const }, slot('s2')]]]);
    const live = view({}).live.map((s) => (s.server === 's1' ? { ...s, state: 'draining' as const } : s));
    expect(routerLeftovers(view({ slots, live }))).toEqual([]);
  });

  it('names a map entry the desired routing does not have, and the track it routes to', () => {
    const liveMaps = new Map([
      [
        'canary.map',
        new Map([
          ['beta', 'canary'],
          ['old-group', 'canary'],
        ]),
      ],
    ]);
    expect(routerLeftovers(view({ liveMaps }))).toEqual([
      {
        kind: 'router-route',
        name: 'canary.map old-group canary',
        track: 'canary',
        remove: "echo 'del map /d/canary.map old-group' | socat stdio unix-connect:/d/admin.sock",
      },
    ]);
  });

  it('does not name a value as a track when it is a share', () => {
    const liveMaps = new Map([['shares.map', new Map([['gone', '2500']])]]);
    expect(routerLeftovers(view({ liveMaps }))[0]).not.toHaveProperty('track');
  });
});
