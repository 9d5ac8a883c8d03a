import { describe, expect, it } from 'vitest';
import { baseTexts, fleetOf, SERVICE, setIn } from '../../test/support/config.js';
import type { UnitState } from '../render/index.js';
import type { Service } from '../spec/index.js';
import { ownedFields, reconcile } from './ownership.js';

const PEOPLE = 'a'.repeat(40);
const SERVER = 'b'.repeat(40);

function api(service = SERVICE): Service {
  return fleetOf({ ...baseTexts(), 'services/api.yaml': service }, 'sandbox').units.find(
    (u) => u.name === 'api',
  ) as Service;
}

/** What the server runs after a release put 1.1.0 on every track and a share change put 20 % of free users on its canary. */
/** The default groups with the free group's canary share set. */
const withFreeShare = (share: number) =>
  setIn(SERVICE, 'traffic', {
    groups: {
      internal: { track: 'internal' },
      free: { canaryTrack: 'free', share },
      paid: { canaryTrack: 'paid', share: 5 },
      enterprise: { canary: false },
    },
  });

const released: UnitState = {
  tracks: Object.fromEntries(
    ['internal', 'free', 'paid', 'production'].map((t) => [t, { version: '1.1.0', replicas: 2 }]),
  ),
  routing: { shares: { free: 20, paid: 5 }, legacyShare: 0 },
};

describe('who owns what of a service', () => {
  it('lists the fields the server can own, with the paths a service file uses', () => {
    const fields = ownedFields(api());
    expect(fields.get('tracks.production.version')).toBe('1.0.0');
    expect(fields.get('tracks.free.replicas')).toBe(2);
    expect(fields.get('traffic.groups.free.share')).toBe(5);
    expect(ownedFields(api(), released).get('traffic.groups.free.share')).toBe(20);
  });

  it('takes any change of a service the server never moved: its state stays the spec', () => {
    const judged = reconcile(api(), api(setIn(SERVICE, 'version', '2.0.0')), {}, PEOPLE);
    expect(judged).toEqual({ issues: [], state: undefined });
  });

  it('refuses a version the server moved, naming both commits, the file and the field', () => {
    const judged = reconcile(
      api(),
      api(setIn(SERVICE, 'version', '2.0.0')),
      { state: released, commit: SERVER },
      PEOPLE,
    );
    expect(judged.issues).toHaveLength(4);
    expect(judged.issues[0]).toMatchObject({
      code: 'SWY_CONFIG_CONFLICT',
      file: 'services/api.yaml',
      path: 'tracks.internal.version',
    });
    expect(judged.issues[0]?.message).toContain(PEOPLE.slice(0, 12));
    expect(judged.issues[0]?.message).toContain(SERVER.slice(0, 12));
    expect(judged.issues[0]?.message).toContain('runs 1.1.0');
    expect(judged.issues[0]?.hint).toContain('1.1.0');
  });

  it('refuses a share the server moved, and takes the same commit once it says what runs', () => {
    const next = api(withFreeShare(50));
    const refused = reconcile(api(), next, { state: released, commit: SERVER }, PEOPLE);
    expect(refused.issues.map((i) => i.path)).toEqual(['traffic.groups.free.share']);
    const agreeing = api(withFreeShare(20));
    expect(reconcile(api(), agreeing, { state: released, commit: SERVER }, PEOPLE).issues).toEqual([]);
  });

  it('takes a field the server left as served into its state, and keeps what it owns', () => {
    const next = api(setIn(SERVICE, 'tracks', { internal: { replicas: 3 }, free: {}, paid: {}, production: {} }));
    const judged = reconcile(api(), next, { state: released, commit: SERVER }, PEOPLE);
    expect(judged.issues).toEqual([]);
    expect(judged.state?.tracks?.['internal']).toEqual({ version: '1.1.0', replicas: 3 });
    expect(judged.state?.routing?.shares['free']).toBe(20);
  });

  it('keeps the server state whole when a commit changes only what people own', () => {
    const judged = reconcile(api(), api(setIn(SERVICE, 'resources.cpu', '200m')), { state: released }, PEOPLE);
    expect(judged).toEqual({ issues: [], state: released });
  });
});
