import { describe, expect, it } from 'vitest';
import { baseTexts, fleetOf, serviceOf, setIn } from '../../test/support/config.js';
import { createRelease, type ReleaseState, type Verdict } from '../release/index.js';
import type { Fleet } from '../spec/index.js';
import { evaluate, observe } from './evaluate.js';
import type { HealthInput, RunningService, RunningTrack, RunningWorkerClass } from './types.js';

const NOW = new Date('2026-03-02T10:00:00Z');
const fleet = fleetOf(baseTexts(), 'production');

function track(name: string, change: Partial<RunningTrack> = {}): RunningTrack {
  const desired = change.desired ?? 2;
  const ready = change.ready ?? desired;
  const version = change.version ?? '1.0.0';
  return {
    track: name,
    version,
    desired,
    ready,
    replicas: Array.from({ length: Math.max(desired, ready) }, (_, i) => ({
      name: `api-${name}-${i}`,
      version,
      state: i < ready ? 'ready' : 'starting',
    })),
    ...change,
  };
}

/** The api service as it runs when all is well: 4/4 routers, every track 2/2 on 1.0.0. */
function healthyApi(change: Partial<RunningService> = {}, tracks: Record<string, Partial<RunningTrack>> = {}) {
  return {
    service: 'api',
    router: { desired: 4, ready: 4 },
    tracks: ['internal', 'free', 'paid', 'production'].map((t) => track(t, tracks[t])),
    ...change,
  } satisfies RunningService;
}

function workers(normal: Partial<RunningWorkerClass> = {}): RunningWorkerClass[] {
  return [
    { worker: 'encoder', workerClass: 'normal', desired: 2, ready: 2, replicas: [], ...normal },
    { worker: 'encoder', workerClass: 'fallback', desired: 0, ready: 0, replicas: [] },
  ];
}

function input(change: Partial<HealthInput> = {}, on: Fleet = fleet): HealthInput {
  return { fleet: on, services: [healthyApi()], workers: workers(), releases: [], ...change };
}

const brief = (i: HealthInput) =>
  observe(i, NOW).map((f) => ({ check: f.check, severity: f.severity, unit: f.unit, part: f.part }));

describe('health checks', () => {
  it('find nothing in a fleet that runs as it should', () => {
    expect(observe(input(), NOW)).toEqual([]);
  });

  describe('router-replicas', () => {
    it('warns when the router runs below its replica count', () => {
      const [f] = observe(input({ services: [healthyApi({ router: { desired: 4, ready: 3 } })] }), NOW);
      expect(f).toMatchObject({ check: 'router-replicas', severity: 'warning', unit: 'api', part: 'router' });
      expect(f?.objects).toEqual(['api-router']);
      expect(f?.message).toContain('3/4');
    });

    it('is critical when no router replica is ready', () => {
      expect(brief(input({ services: [healthyApi({ router: { desired: 1, ready: 0 } })] }))).toEqual([
        { check: 'router-replicas', severity: 'critical', unit: 'api', part: 'router' },
      ]);
    });
  });

  describe('track-endpoints', () => {
    it('warns when a track has fewer ready endpoints than the default minimum of 2', () => {
      const [f] = observe(input({ services: [healthyApi({}, { free: { desired: 2, ready: 1 } })] }), NOW);
      expect(f).toMatchObject({ check: 'track-endpoints', severity: 'warning', unit: 'api', part: 'free' });
      expect(f?.objects).toEqual(['api-free-1']);
      expect(f?.message).toContain('below its minimum of 2');
    });

    it('is critical when a track has no ready endpoint', () => {
      expect(brief(input({ services: [healthyApi({}, { paid: { desired: 2, ready: 0 } })] }))).toEqual([
        { check: 'track-endpoints', severity: 'critical', unit: 'api', part: 'paid' },
      ]);
    });

    it("never asks more than the track's desired replicas", () => {
      expect(observe(input({ services: [healthyApi({}, { internal: { desired: 1, ready: 1 } })] }), NOW)).toEqual([]);
      expect(observe(input({ services: [healthyApi({}, { internal: { desired: 0, ready: 0 } })] }), NOW)).toEqual([]);
    });

    it("reads the minimum from the service's minReplicasPerTrack", () => {
      const texts = baseTexts();
      texts['services/api.yaml'] = setIn(
        setIn(texts['services/api.yaml'] as string, 'minReplicasPerTrack', 3),
        'tracks',
        { internal: { replicas: 4 }, free: { replicas: 4 }, paid: { replicas: 4 }, production: { replicas: 4 } },
      );
      const strict = fleetOf(texts, 'production');
      expect(serviceOf(texts).minReplicasPerTrack).toBe(3);
      const api = healthyApi({}, { production: { desired: 4, ready: 2 } });
      expect(brief(input({ services: [api] }, strict))).toEqual([
        { check: 'track-endpoints', severity: 'warning', unit: 'api', part: 'production' },
      ]);
      expect(observe(input({ services: [api] }), NOW)).toEqual([]);
    });
  });

  describe('track-version', () => {
    it('warns when replicas run another version than the track should', () => {
      const api = healthyApi();
      const mixed = {
        ...track('free'),
        replicas: [
          { name: 'api-free-0', version: '1.0.0', state: 'ready' },
          { name: 'api-free-1', version: '0.9.0', state: 'ready' },
        ],
      };
      const [f] = observe(
        input({ services: [{ ...api, tracks: api.tracks.map((t) => (t.track === 'free' ? mixed : t)) }] }),
        NOW,
      );
      expect(f).toMatchObject({ check: 'track-version', severity: 'warning', part: 'free', objects: ['api-free-1'] });
      expect(f?.message).toContain('should run 1.0.0');
      expect(f?.message).toContain('0.9.0');
    });
  });

  describe('track-over-replicated', () => {
    it('warns when more replicas are ready than desired', () => {
      expect(brief(input({ services: [healthyApi({}, { paid: { desired: 2, ready: 3 } })] }))).toEqual([
        { check: 'track-over-replicated', severity: 'warning', unit: 'api', part: 'paid' },
      ]);
    });
  });

  describe('worker-replicas', () => {
    it('warns when a class is below its desired ready replicas, critical at none', () => {
      expect(brief(input({ workers: workers({ desired: 3, ready: 1 }) }))).toEqual([
        { check: 'worker-replicas', severity: 'warning', unit: 'encoder', part: 'normal' },
      ]);
      expect(brief(input({ workers: workers({ desired: 3, ready: 0 }) }))).toEqual([
        { check: 'worker-replicas', severity: 'critical', unit: 'encoder', part: 'normal' },
      ]);
    });
  });

  describe('releases', () => {
    const service = serviceOf(baseTexts());
    const stages = service.release.plans['default'] ?? [];
    const stage = stages[1];
    if (!stage) throw new Error('the default plan has fewer than two stages');
    const release = (change: Partial<ReleaseState>): ReleaseState => ({
      ...createRelease({
        id: '0123456789abcdef',
        service,
        version: '1.1.0',
        plan: 'default',
        stages,
        current: { versions: {}, routing: { shares: {}, legacyShare: 0 } },
        by: 'alice',
        reason: 'test',
      }),
      stage: 1,
      phase: 'observing',
      ...change,
    });
    const limitMs = stage.durationMs + service.release.inconclusiveAfterMs;
    const since = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

    it('warn of a stage observed past its duration plus inconclusiveAfter', () => {
      expect(brief(input({ releases: [release({ observingSince: since(limitMs - 1000) })] }))).toEqual([]);
      const [f] = observe(input({ releases: [release({ observingSince: since(limitMs + 1000) })] }), NOW);
      expect(f).toMatchObject({ check: 'release-stuck', severity: 'warning', unit: 'api', part: stage.name });
      expect(f?.objects).toEqual(['release/0123456789abcdef']);
    });

    it('leave a paused release or one waiting for approval alone', () => {
      const long = since(limitMs * 10);
      expect(observe(input({ releases: [release({ observingSince: long, status: 'paused' })] }), NOW)).toEqual([]);
      expect(
        observe(input({ releases: [release({ observingSince: long, phase: 'awaiting-approval' })] }), NOW),
      ).toEqual([]);
    });

    const verdict = (ok: boolean, at: string, stageName = stage.name): Verdict => ({
      at,
      stage: stageName,
      outcome: 'inconclusive',
      requests: 120,
      gates: [
        { gate: 'error-ratio', value: ok ? 0.01 : 0.09, threshold: '≤ 0.05', ok },
        { gate: 'response-time', value: 80, threshold: '≤ 500', ok: true },
      ],
      summary: '',
    });

    it("warn of a gate failing in the current stage's latest verdict", () => {
      const start = since(60_000);
      const failing = release({ observingSince: start, verdicts: [verdict(false, since(1000))] });
      const [f] = observe(input({ releases: [failing] }), NOW);
      expect(f).toMatchObject({ check: 'release-gate-failing', severity: 'warning', part: stage.name });
      expect(f?.objects).toEqual(['release/0123456789abcdef', 'gate/error-ratio']);
      expect(f?.message).toContain('error-ratio 0.09 (wants ≤ 0.05)');
    });

    it('forget a failing gate once a later verdict passes, or when it was of another stage', () => {
      const start = since(60_000);
      const passed = release({
        observingSince: start,
        verdicts: [verdict(false, since(2000)), verdict(true, since(1000))],
      });
      expect(observe(input({ releases: [passed] }), NOW)).toEqual([]);
      const earlier = release({ observingSince: start, verdicts: [verdict(false, since(1000), 'other')] });
      expect(observe(input({ releases: [earlier] }), NOW)).toEqual([]);
    });

    describe('that ended badly', () => {
      const endedAt = since(5 * 60_000);
      const ended = (change: Partial<ReleaseState>) => ({ release: release({ phase: 'done', ...change }), endedAt });

      it('tell of a rollback by its gates as a warning since it ended, naming the gates that failed', () => {
        const rolledBack = ended({
          status: 'rolled-back',
          outcome: `stage ${stage.name}: error-ratio 0.09`,
          verdicts: [verdict(false, since(6 * 60_000))],
        });
        const [f, ...rest] = evaluate(input({ ended: [rolledBack] }), new Map(), NOW).report.findings;
        expect(rest).toEqual([]);
        expect(f).toMatchObject({
          check: 'release-rolled-back',
          severity: 'warning',
          unit: 'api',
          part: stage.name,
          since: endedAt,
          objects: ['release/0123456789abcdef', 'gate/error-ratio'],
        });
        expect(f?.message).toBe(
          `release 01234567 of api 1.1.0 was rolled back at 09:55 UTC in stage ${stage.name}: stage ${stage.name}: error-ratio 0.09`,
        );
      });

      it('tell of an abort as info, and of a revert that failed as critical', () => {
        expect(brief(input({ ended: [ended({ status: 'aborted' })] }))).toEqual([
          { check: 'release-rolled-back', severity: 'info', unit: 'api', part: stage.name },
        ]);
        const [failed] = observe(input({ ended: [ended({ status: 'failed', outcome: 'a step failed' })] }), NOW);
        expect(failed).toMatchObject({ check: 'release-failed', severity: 'critical' });
        expect(failed?.hint).toContain('`switchyard rollback api` again');
      });
    });
  });
});
