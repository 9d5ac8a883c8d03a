import { describe, expect, it } from 'vitest';
import type { TrackFigures } from '../../router/index.js';
import type { Service, Stage } from '../../spec/index.js';
import { baseTexts, serviceOf, setIn } from '../../../test/support/config.js';
import { createRelease } from '../machine.js';
import type { ReleaseState } from '../types.js';
import { GateMetrics, trackCounters } from './gate-metrics.js';
import { gateQuery, trackCounterQueries } from './promql.js';

function service(prometheus?: string): Service {
  const texts = baseTexts();
  texts['services/api.yaml'] = setIn(
    texts['services/api.yaml'] as string,
    'release',
    prometheus ? { prometheus: { url: prometheus } } : { minRequests: 10 },
  );
  return serviceOf(texts);
}

const figures = (track: string, requests: number, responses5xx: number, connectionErrors = 0): TrackFigures => ({
  track,
  requests,
  responses1xx: 0,
  responses2xx: requests - responses5xx,
  responses3xx: 0,
  responses4xx: 0,
  responses5xx,
  connectionErrors,
  responseErrors: 0,
  responseTimeMs: 12,
  currentSessions: 0,
  serversUp: 2,
});

const QUERY = 'rate(errors{service="$service",track="$track",stable="$stable",env="$env"}[$window])';
const STAGE: Stage = {
  name: 'free',
  track: 'free',
  shares: { free: 5 },
  durationMs: 60_000,
  approval: false,
  gates: [{ metric: 'prometheus', name: 'error-rate', query: QUERY, max: 0.05 }],
};

function observing(svc: Service, since: string): ReleaseState {
  const release = createRelease({
    id: 'r1',
    service: svc,
    version: '1.1.0',
    plan: 'default',
    stages: [STAGE],
    current: { versions: {}, routing: { shares: {}, legacyShare: 0 } },
    by: 'test',
    reason: '',
  });
  return { ...release, stage: 0, phase: 'observing', observingSince: since };
}

/** A Prometheus that answers each query from a table, and remembers what it was asked. */
function prometheus(answers: Record<string, number>) {
  const asked: string[] = [];
  return { asked, query: async (_url: string, promql: string) => (asked.push(promql), answers[promql] ?? null) };
}

describe('PromQL', () => {
  it("fills a gate's variables for the stage being observed, the window in whole seconds", () => {
    const release = observing(service(), '2026-11-23T10:00:00.000Z');
    expect(gateQuery(QUERY, release, new Date('2026-11-23T10:01:30.400Z'))).toBe(
      'rate(errors{service="api",track="free",stable="production",env="production"}[90s])',
    );
  });

  it("reads a track's counters from the router pods of the service's namespace", () => {
    const svc = service();
    expect(trackCounterQueries(svc, 'free').errors).toBe(
      `sum(haproxy_backend_http_responses_total{namespace="${svc.namespace}",pod=~"api-router-.*",proxy="track_free",code="5xx"})`,
    );
  });
});

describe('what gates judge', () => {
  it('counts what users saw: 5xx answers, not connection errors the router retried', () => {
    expect(trackCounters([figures('free', 100, 3, 7)])).toEqual({
      free: { requests: 100, errors: 3, responseTimeMs: 12 },
    });
  });

  it('takes the counters from the router and asks Prometheus only the gates', async () => {
    const svc = service('http://prometheus:9090');
    const source = prometheus({
      'rate(errors{service="api",track="free",stable="production",env="production"}[60s])': 0.01,
    });
    const metrics = new GateMetrics(
      {
        service: () => svc,
        router: () => ({ figures: async () => [figures('free', 50, 1), figures('production', 500, 2)] }),
      },
      source,
    );
    const measured = await metrics.measure(observing(svc, '2026-11-23T10:00:00Z'), new Date('2026-11-23T10:01:00Z'));
    expect(measured).toEqual({
      tracks: {
        free: { requests: 50, errors: 1, responseTimeMs: 12 },
        production: { requests: 500, errors: 2, responseTimeMs: 12 },
      },
      prometheus: { 'error-rate': 0.01 },
    });
    expect(source.asked).toHaveLength(1);
  });

  it('reads the counters from Prometheus when no router answers, and has none without a Prometheus', async () => {
    const svc = service('http://prometheus:9090');
    const q = trackCounterQueries(svc, 'free');
    const source = prometheus({ [q.requests]: 40, [q.errors]: 2, [q.responseTimeSeconds]: 0.02 });
    const unreachable = { service: () => svc, router: () => ({ figures: async () => [] }) };
    const release = { ...observing(svc, '2026-11-23T10:00:00Z'), stages: [{ ...STAGE, gates: [] }] };
    const measured = await new GateMetrics(unreachable, source).measure(release, new Date('2026-11-23T10:01:00Z'));
    expect(measured.tracks.free).toEqual({ requests: 40, errors: 2, responseTimeMs: 20 });
    expect(measured.tracks.production).toEqual({ requests: 0, errors: 0, responseTimeMs: 0 });
    expect(await new GateMetrics(unreachable).measure(release, new Date())).toEqual({ tracks: {} });
  });
});
