import { describe, expect, it } from 'vitest';
import { baseTexts, fleetOf, serviceOf } from '../../test/support/config.js';
import { createRelease, type ReleaseState } from '../release/index.js';
import { observe } from './evaluate.js';
import { tracksInMotion } from './release-mutes.js';
import type { HealthInput, RunningService, RunningTrack } from './types.js';

const NOW = new Date('2026-03-02T10:00:00Z');
const fleet = fleetOf(baseTexts(), 'production');
const service = serviceOf(baseTexts());
const stages = service.release.plans['default'] ?? [];
const TRACKS = ['internal', 'free', 'paid', 'production'] as const;

/** A release of 1.1.0 from 1.0.0 on every track, in its second stage (free) unless changed. */
function release(change: Partial<ReleaseState> = {}): ReleaseState {
  return {
    ...createRelease({
      id: 'rel-1',
      service,
      version: '1.1.0',
      plan: 'default',
      stages,
      current: {
        versions: Object.fromEntries(TRACKS.map((t) => [t, '1.0.0'])),
        routing: { shares: {}, legacyShare: 0 },
      },
      by: 'alice',
      reason: 'test',
    }),
    stage: 1,
    phase: 'applying',
    ...change,
  };
}

/** A track of 2 desired replicas running `versions` (one replica each), `ready` of them ready. */
function track(name: string, version: string, versions: readonly string[], ready = versions.length): RunningTrack {
  return {
    track: name,
    version,
    desired: 2,
    ready,
    replicas: versions.map((v, i) => ({
      name: `api-${name}-${i}`,
      version: v,
      state: i < ready ? 'ready' : 'starting',
    })),
  };
}

function api(tracks: Partial<Record<(typeof TRACKS)[number], RunningTrack>>): RunningService {
  return {
    service: 'api',
    router: { desired: 4, ready: 4 },
    tracks: TRACKS.map((t) => tracks[t] ?? track(t, '1.0.0', ['1.0.0', '1.0.0'])),
  };
}

function input(running: RunningService, releases: readonly ReleaseState[]): HealthInput {
  return { fleet, services: [running], workers: [], releases };
}

const muted = (i: HealthInput) =>
  observe(i, NOW).map((f) => ({ check: f.check, part: f.part, mutedBy: f.mutedBy?.release ?? null }));

/** The free track mid-roll: the new replica ready beside both old ones. */
const rolling = track('free', '1.1.0', ['1.0.0', '1.0.0', '1.1.0']);

describe('findings a release in progress causes itself', () => {
  it('moves the tracks its stages name and its canary tracks, the stable one only in its own stage, finishing or reverting', () => {
    expect([...tracksInMotion(release())].sort()).toEqual(['free', 'internal', 'paid']);
    expect([...tracksInMotion(release({ stage: 3 }))].sort()).toEqual(['free', 'internal', 'paid', 'production']);
    expect(tracksInMotion(release({ phase: 'finishing' })).has('production')).toBe(true);
    expect(tracksInMotion(release({ phase: 'reverting', applied: ['production'] })).has('production')).toBe(true);
    expect(tracksInMotion(release({ phase: 'observing' })).has('production')).toBe(false);
  });

  it('mutes the version and the extra replica of a canary track it rolls', () => {
    expect(muted(input(api({ free: rolling }), [release()]))).toEqual([
      { check: 'track-version', part: 'free', mutedBy: 'rel-1' },
      { check: 'track-over-replicated', part: 'free', mutedBy: 'rel-1' },
    ]);
  });

  it('keeps severities and everything else of a muted finding', () => {
    const [plain] = observe(input(api({ free: rolling }), []), NOW);
    const [quiet] = observe(input(api({ free: rolling }), [release()]), NOW);
    expect(quiet).toEqual({ ...plain, mutedBy: { release: 'rel-1' } });
  });

  it('mutes nothing without a release, or for a release of another service', () => {
    expect(muted(input(api({ free: rolling }), [])).every((f) => f.mutedBy === null)).toBe(true);
    const other = release({ service: 'search' });
    expect(muted(input(api({ free: rolling }), [other])).every((f) => f.mutedBy === null)).toBe(true);
  });

  it('does not mute a replica of a third version: neither the release nor what ran before explains it', () => {
    const third = track('free', '1.1.0', ['0.9.0', '1.1.0']);
    expect(muted(input(api({ free: third }), [release()]))).toEqual([
      { check: 'track-version', part: 'free', mutedBy: null },
    ]);
  });

  it('mutes a canary track short of endpoints while the plan rolls it, not while the release observes it', () => {
    const scaling = track('free', '1.1.0', ['1.1.0', '1.1.0'], 1);
    expect(muted(input(api({ free: scaling }), [release()]))).toEqual([
      { check: 'track-endpoints', part: 'free', mutedBy: 'rel-1' },
    ]);
    expect(muted(input(api({ free: scaling }), [release({ phase: 'observing' })]))).toEqual([
      { check: 'track-endpoints', part: 'free', mutedBy: null },
    ]);
  });

  it('never mutes the stable track below its minimum of endpoints, even in the stage that rolls it', () => {
    const short = track('production', '1.1.0', ['1.1.0', '1.1.0'], 1);
    for (const r of [release(), release({ stage: 3 }), release({ phase: 'finishing' })])
      expect(muted(input(api({ production: short }), [r]))).toEqual([
        { check: 'track-endpoints', part: 'production', mutedBy: null },
      ]);
  });

  it('mutes the stable track rolling to the new version in the stage that names it, not before', () => {
    const stable = track('production', '1.1.0', ['1.0.0', '1.0.0', '1.1.0']);
    expect(muted(input(api({ production: stable }), [release({ stage: 3 })])).map((f) => f.mutedBy)).toEqual([
      'rel-1',
      'rel-1',
    ]);
    expect(muted(input(api({ production: stable }), [release()])).map((f) => f.mutedBy)).toEqual([null, null]);
  });

  it('never mutes a router short of replicas or leftovers', () => {
    const running = {
      ...api({ free: rolling }),
      router: { desired: 4, ready: 3 },
      leftovers: [{ kind: 'Deployment', name: 'api-free-blue', track: 'free', version: '0.9.0', remove: 'kubectl …' }],
    };
    const found = muted(input(running, [release()]));
    expect(found.filter((f) => f.check === 'router-replicas' || f.check === 'leftovers')).toEqual([
      { check: 'router-replicas', part: 'router', mutedBy: null },
      { check: 'leftovers', part: 'free', mutedBy: null },
    ]);
  });
});
