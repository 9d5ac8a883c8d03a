/**
 * An incident as the store records it, for the timeline's and the post-mortem's tests: api's
 * release 2.4.0 fails its free stage's gate and rolls back while an alert fires, someone
 * silences a noisy check, a configuration commit is taken, and a worker scales up.
 */
import type {
  AlertInput,
  AuditInput,
  ReleaseEventInput,
  RuntimeInput,
  SilenceInput,
  TimelineWindow,
} from '../../src/timeline/index.js';

export const WINDOW: TimelineWindow = {
  since: new Date('2026-03-02T09:00:00.000Z'),
  until: new Date('2026-03-02T11:00:00.000Z'),
};

const stages = [{ name: 'internal' }, { name: 'free' }, { name: 'all' }];
const base = {
  id: 'rel-7f3a',
  service: 'api',
  version: '2.4.0',
  plan: 'standard',
  stages,
  from: { versions: { stable: '2.3.1' } },
};
const verdictFree = {
  at: '2026-03-02T09:58:00.000Z',
  stage: 'free',
  outcome: 'fail',
  requests: 4210,
  gates: [
    { gate: 'error-rate', value: 0.0712, threshold: '< 0.01', ok: false },
    { gate: 'p99-latency', value: 0.412, threshold: '< 0.5', ok: true },
  ],
  summary: 'error-rate failed',
};
const verdictInternal = {
  at: '2026-03-02T09:50:00.000Z',
  stage: 'internal',
  outcome: 'pass',
  requests: 812,
  gates: [{ gate: 'error-rate', value: 0.001, threshold: '< 0.01', ok: true }],
  summary: 'all gates pass',
};
const state = (over: Record<string, unknown>) => ({ ...base, status: 'running', stage: 0, verdicts: [], ...over });
const tracks = (requests: number, errors: number, canaryRequests: number, canaryErrors: number) => ({
  stable: { requests, errors, responseTimeMs: 40 },
  canary: { requests: canaryRequests, errors: canaryErrors, responseTimeMs: 55 },
});

export const RELEASE_EVENTS: (ReleaseEventInput & { service: string })[] = [
  {
    seq: 101,
    releaseId: 'rel-7f3a',
    service: 'api',
    at: new Date('2026-03-02T09:45:00.000Z'),
    type: 'start',
    payload: { type: 'start' },
    state: state({ stage: 0 }),
  },
  {
    seq: 102,
    releaseId: 'rel-7f3a',
    service: 'api',
    at: new Date('2026-03-02T09:46:00.000Z'),
    type: 'command-done',
    payload: { type: 'command-done', seq: 3, result: { tracks: tracks(100_000, 120, 0, 0) } },
    state: state({ stage: 0 }),
  },
  {
    seq: 103,
    releaseId: 'rel-7f3a',
    service: 'api',
    at: new Date('2026-03-02T09:50:00.000Z'),
    type: 'command-done',
    payload: { type: 'command-done', seq: 4, result: { tracks: tracks(130_000, 150, 812, 1) } },
    state: state({ stage: 1, verdicts: [verdictInternal] }),
  },
  {
    seq: 104,
    releaseId: 'rel-7f3a',
    service: 'api',
    at: new Date('2026-03-02T09:58:00.000Z'),
    type: 'command-done',
    payload: { type: 'command-done', seq: 7, result: { tracks: tracks(160_000, 190, 5022, 301) } },
    state: state({
      stage: 1,
      status: 'rolling-back',
      outcome: 'gate error-rate failed at stage free',
      verdicts: [verdictInternal, verdictFree],
    }),
  },
  {
    seq: 105,
    releaseId: 'rel-7f3a',
    service: 'api',
    at: new Date('2026-03-02T09:59:30.000Z'),
    type: 'command-done',
    payload: { type: 'command-done', seq: 9 },
    state: state({
      stage: 1,
      status: 'rolled-back',
      outcome: 'gate error-rate failed at stage free',
      verdicts: [verdictInternal, verdictFree],
    }),
  },
];

export const RELEASE = { id: 'rel-7f3a', service: 'api', version: '2.4.0', createdBy: 'ana' };

const finding = { check: 'track-endpoints', part: 'free', severity: 'critical' };

export const ALERTS: AlertInput[] = [
  {
    id: '41',
    status: 'firing',
    environment: 'production',
    service: 'api',
    at: '2026-03-02T09:57:10.000Z',
    findings: [finding, { check: 'gate-failing', part: 'free', severity: 'warning' }],
    deliveries: [
      { receiver: 'ops-slack', deliveredAt: '2026-03-02T09:57:11.000Z', droppedAt: null },
      { receiver: 'pager', deliveredAt: '2026-03-02T09:58:40.000Z', droppedAt: null },
    ],
  },
  {
    id: '42',
    status: 'resolved',
    environment: 'production',
    service: 'api',
    at: '2026-03-02T10:03:00.000Z',
    findings: [finding],
    deliveries: [
      { receiver: 'ops-slack', deliveredAt: '2026-03-02T10:03:01.000Z', droppedAt: null },
      { receiver: 'pager', deliveredAt: null, droppedAt: null },
    ],
  },
];

export const SILENCES: SilenceInput[] = [
  {
    id: '0f8fad5b-d9cb-469f-a165-70867728950e',
    services: ['thumbs'],
    checks: ['backlog-age'],
    author: 'bo',
    reason: 'reprocessing the catalogue',
    createdAt: '2026-03-02T09:30:00.000Z',
    expiresAt: '2026-03-02T12:00:00.000Z',
    expiredAt: '2026-03-02T10:20:00.000Z',
    expiredBy: 'bo',
  },
  {
    id: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    checks: ['router-replicas'],
    author: 'cy',
    reason: 'HAProxy upgrade',
    createdAt: '2026-03-02T08:00:00.000Z',
    expiresAt: '2026-03-02T09:15:00.000Z',
    expiredAt: null,
    expiredBy: null,
  },
];

export const AUDIT: AuditInput[] = [
  {
    seq: 900,
    at: new Date('2026-03-02T09:40:00.000Z'),
    actor: 'config-follower',
    action: 'config.take',
    target: '3b18e512dba79e4c8300dd08aeb37f8e728b8dad',
    outcome: 'succeeded',
    details: { author: 'dee' },
    reason: null,
  },
  {
    seq: 901,
    at: new Date('2026-03-02T09:45:00.000Z'),
    actor: 'ana',
    action: 'release.deploy',
    target: '/v1/releases',
    outcome: 'succeeded',
    details: { body: { service: 'api', version: '2.4.0' } },
    reason: 'new search ranking',
  },
  {
    seq: 902,
    at: new Date('2026-03-02T10:01:00.000Z'),
    actor: 'eli',
    action: 'traffic.share',
    target: '/v1/services/api/traffic',
    outcome: 'succeeded',
    details: {},
    reason: 'drain free while we look',
  },
  {
    seq: 903,
    at: new Date('2026-03-02T10:02:00.000Z'),
    actor: 'fay',
    action: 'release.rollback',
    target: '/v1/releases/rel-7f3a/rollback',
    outcome: 'denied',
    details: { body: { service: 'api' } },
    reason: null,
  },
];

export const RUNTIME: RuntimeInput[] = [
  {
    seq: 12,
    at: new Date('2026-03-02T09:57:30.000Z'),
    type: 'worker-scaled',
    service: 'thumbs',
    text: 'thumbs free: 2 → 6 replicas (queue depth)',
  },
];

export const CHANGES = [
  {
    at: '2026-03-02T09:40:00.000Z',
    kind: 'commit' as const,
    service: null,
    who: 'config-follower',
    text: 'configuration commit taken from the followed repository',
    ref: '3b18e512dba79e4c8300dd08aeb37f8e728b8dad',
    commits: ['3b18e512dba79e4c8300dd08aeb37f8e728b8dad'],
  },
  {
    at: '2026-03-02T09:45:00.000Z',
    kind: 'release' as const,
    service: 'api',
    who: 'ana',
    text: 'release of 2.4.0',
    ref: 'rel-7f3a',
    commits: ['9fceb02d0ae598e95dc970b74767f19372d61af8', 'e83c5163316f89bfbde7d9ab23ca2e25604af290'],
  },
];
