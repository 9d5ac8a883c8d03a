import { z } from 'zod';
import { CHECKS, SEVERITIES } from '../health/index.js';
import { ROLES } from '../store/index.js';
import { TIMELINE_KINDS } from '../timeline/index.js';

/**
 * What each route answers, as it goes over the wire (dates as RFC 3339 strings). The OpenAPI
 * document is made from these schemas, and the API's tests check every answer against the
 * schema of the route that gave it, so the document cannot drift from what is answered.
 */

const time = z.iso.datetime({ offset: true });
const counts = z.record(z.string(), z.number());
const names = z.record(z.string(), z.string());

export const routingAnswer = z
  .object({
    shares: counts.meta({ description: 'Traffic group → percentage of its users on its canary track' }),
    legacyShare: z.number().meta({ description: 'Percentage of all traffic on the legacy backend' }),
    routes: names.optional().meta({ description: 'Pinned groups sent to another track for a while' }),
  })
  .meta({ id: 'Routing' });

const trackCounts = z.object({ requests: z.number().int(), errors: z.number().int() });

const gateResult = z.object({
  gate: z.string(),
  value: z.number().nullable(),
  threshold: z.string(),
  ok: z.boolean(),
  detail: z
    .string()
    .optional()
    .meta({ description: "A sequential gate's verdict in words: observed rates, evidence, what a decision needs" }),
  evidence: z
    .object({
      canary: trackCounts,
      stable: trackCounts,
      relative: z
        .number()
        .meta({ description: 'Log-likelihood ratio of a regression, from which track each failure came' }),
      absolute: z
        .number()
        .meta({ description: "Log-likelihood ratio of a regression, from the canary's own requests" }),
      failAt: z.number().meta({ description: 'Both ratios at or above this: rolled back' }),
      passAt: z.number().meta({ description: 'Either ratio at or below this: passed' }),
    })
    .optional()
    .meta({ description: "A sequential gate's evidence since the stage began" }),
});

export const verdictAnswer = z
  .object({
    at: time,
    stage: z.string(),
    outcome: z.enum(['pass', 'fail', 'inconclusive']),
    requests: z.number().int(),
    gates: z.array(gateResult),
    summary: z.string(),
  })
  .meta({ id: 'Verdict' });

/** A release as the API shows it (views.ts: stateView). */
export const releaseAnswer = z
  .object({
    id: z.string(),
    service: z.string(),
    environment: z.string(),
    version: z.string(),
    plan: z.string(),
    status: z.enum(['running', 'paused', 'rolling-back', 'succeeded', 'rolled-back', 'aborted', 'failed']),
    phase: z.enum(['applying', 'observing', 'awaiting-approval', 'finishing', 'reverting', 'done']),
    stage: z
      .object({
        index: z.number().int(),
        name: z.string(),
        of: z.number().int(),
        track: z.string().nullable(),
        shares: counts,
        legacyShare: z.number().nullable(),
      })
      .nullable(),
    stages: z.array(z.string()),
    from: z.object({ versions: names, routing: routingAnswer }),
    observingSince: time.nullable(),
    verdict: verdictAnswer.nullable(),
    outcome: z.string().nullable(),
    allowed: z.array(z.string()).meta({ description: 'What a person may do to the release now' }),
    approval: z
      .object({ stage: z.string(), by: z.string(), at: time })
      .nullable()
      .optional()
      .meta({ description: 'A stage approved before it waited for a person: it advances once it passes' }),
    createdBy: z.string(),
    reason: z.string(),
  })
  .meta({ id: 'Release' });

export const releaseEventAnswer = z
  .object({
    seq: z.number().int(),
    releaseId: z.string(),
    at: time,
    type: z.string(),
    payload: z.unknown().meta({ description: 'The event as the release engine recorded it' }),
  })
  .meta({ id: 'ReleaseEvent' });

export const releaseDetailAnswer = releaseAnswer
  .extend({ verdicts: z.array(verdictAnswer), events: z.array(releaseEventAnswer) })
  .meta({ id: 'ReleaseDetail' });

export const releaseListAnswer = z.object({ releases: z.array(releaseAnswer) });

const replica = z.object({
  name: z.string(),
  version: z.string().optional(),
  port: z.number().int(),
  pid: z.number().int().optional(),
  state: z.string(),
});

export const trackAnswer = z
  .object({
    track: z.string(),
    version: z.string(),
    desired: z.number().int(),
    ready: z.number().int(),
    replicas: z.array(replica),
    fallbackTo: z.string().optional(),
  })
  .meta({ id: 'TrackStatus' });

export const serviceAnswer = z
  .object({
    service: z.string(),
    address: z.string().meta({ description: 'Where users send requests' }),
    stats: z.string().meta({ description: "The router's statistics page" }),
    routerPid: z.number().int().optional(),
    router: z.object({ desired: z.number().int(), ready: z.number().int() }).meta({
      description: "The router's replicas: its HAProxy process on this machine, its Deployment's pods on a cluster",
    }),
    routing: routingAnswer,
    tracks: z.array(trackAnswer),
    leftovers: z
      .array(
        z.object({
          kind: z.string().meta({ description: '`Deployment` on a cluster, `process` on this machine' }),
          name: z.string(),
          track: z.string().optional(),
          version: z.string().optional(),
          remove: z.string().meta({ description: 'The exact command that removes it' }),
        }),
      )
      .optional()
      .meta({ description: 'What of the service runs but no desired state explains (health check `leftovers`)' }),
  })
  .meta({ id: 'ServiceStatus' });

const workerReplica = replica.extend({
  reason: z.string().optional().meta({
    description: 'Why it is not ready: what it waits for (the broker), or how it failed and when it restarts',
  }),
});

const workerClassAnswer = z.object({
  worker: z.string(),
  workerClass: z.string(),
  queue: z.string(),
  desired: z.number().int(),
  ready: z.number().int(),
  replicas: z.array(workerReplica),
});

export const statusAnswer = z.object({
  environment: z.string(),
  services: z.array(serviceAnswer),
  workers: z.array(workerClassAnswer),
});

const severity = z.enum(SEVERITIES);

export const findingAnswer = z
  .object({
    check: z.enum(CHECKS).meta({ description: 'The check that found it (docs/health.md)' }),
    severity,
    unit: z.string().meta({ description: 'The service or worker' }),
    part: z.string().meta({ description: "The track, the worker class, `router`, or the release's stage" }),
    since: time.meta({ description: 'When it was first seen; kept while it lasts' }),
    objects: z.array(z.string()).meta({ description: 'The replicas, pods, processes or releases involved' }),
    message: z.string(),
    hint: z.string().meta({ description: 'What to do' }),
    mutedBy: z
      .object({ release: z.string().meta({ description: 'The release in progress that causes it' }) })
      .optional()
      .meta({ description: 'Set when a release in progress causes the finding itself: listed, but no alert fires' }),
  })
  .meta({ id: 'Finding' });

export const healthAnswer = z
  .object({
    environment: z.string(),
    service: z.string().optional().meta({ description: 'Set when the answer is about one service or worker' }),
    at: time,
    worst: z.enum(['ok', ...SEVERITIES]).meta({ description: 'The worst severity found, `ok` when nothing was' }),
    counts: z.object({ critical: z.number().int(), warning: z.number().int(), info: z.number().int() }),
    findings: z.array(findingAnswer).meta({ description: 'Worst first' }),
  })
  .meta({ id: 'Health' });

export const figuresAnswer = z.object({
  service: z.string(),
  tracks: z.array(
    z.object({
      track: z.string(),
      requests: z.number(),
      responses1xx: z.number(),
      responses2xx: z.number(),
      responses3xx: z.number(),
      responses4xx: z.number(),
      responses5xx: z.number(),
      connectionErrors: z.number(),
      responseErrors: z.number(),
      responseTimeMs: z.number(),
      currentSessions: z.number(),
      serversUp: z.number(),
    }),
  ),
});

export const shareAnswer = z.object({
  service: z.string(),
  group: z.string(),
  share: z.number(),
  routing: routingAnswer,
});

export const legacyShareAnswer = z.object({ service: z.string(), legacyShare: z.number(), routing: routingAnswer });

export const historyAnswer = z.object({
  service: z.string(),
  commits: z.array(
    z.object({
      sha: z.string(),
      date: time,
      author: z.object({ name: z.string(), email: z.string() }),
      message: z.string(),
      trailers: names,
      environment: z.string(),
      releaseId: z.string().nullable(),
      manifest: z
        .object({
          environment: z.string(),
          service: z.string(),
          versions: names,
          shares: counts,
          legacyShare: z.number().optional(),
          replicas: counts.optional(),
        })
        .nullable(),
    }),
  ),
});

export const auditAnswer = z.object({
  entries: z.array(
    z.object({
      seq: z.number().int(),
      at: time,
      actor: z.string(),
      action: z.string(),
      target: z.string(),
      environment: z.string().nullable(),
      outcome: z.string(),
      details: z.record(z.string(), z.unknown()),
      reason: z.string().nullable(),
    }),
  ),
});

export const tokenAnswer = z
  .object({
    id: z.string(),
    name: z.string(),
    roles: z.record(z.string(), z.enum(ROLES)),
    description: z.string().nullable(),
    status: z.enum(['active', 'expired', 'revoked']),
    createdAt: time,
    createdBy: z.string(),
    expiresAt: time.nullable(),
    lastUsedAt: time.nullable(),
    revokedAt: time.nullable(),
    revokedBy: z.string().nullable(),
  })
  .meta({ id: 'Token' });

export const createdTokenAnswer = z.object({
  token: tokenAnswer,
  secret: z
    .string()
    .nullable()
    .meta({ description: 'The secret, in the first answer only (null in an Idempotency-Key replay)' }),
  note: z.string().optional(),
});

export const tokenListAnswer = z.object({ tokens: z.array(tokenAnswer) });

export const leaderAnswer = z.object({
  role: z.enum(['leader', 'standby']),
  self: z.string(),
  replicas: z.boolean(),
  leader: z.object({ address: z.string(), term: z.number().int(), since: time }).nullable(),
});

const issue = z.object({
  code: z.string(),
  file: z.string().optional(),
  path: z.string().optional(),
  line: z.number().int().optional(),
  column: z.number().int().optional(),
  message: z.string(),
  hint: z.string().optional(),
});

const waiting = z.object({
  commit: z.string(),
  releases: z.array(z.object({ service: z.string(), release: z.string() })),
});

export const configAnswer = z.object({
  source: z.enum(['git', 'directory']),
  location: z.string(),
  branch: z.string().optional(),
  path: z.string().optional(),
  servedCommit: z.string().optional(),
  lastSeenCommit: z.string().optional(),
  checkedAt: time.optional(),
  pollSeconds: z.number().optional(),
  webhook: z.boolean(),
  refused: z
    .object({
      commit: z.string(),
      author: z.string(),
      subject: z.string(),
      code: z.string(),
      message: z.string(),
      hint: z.string(),
      issues: z.array(issue),
      at: time,
    })
    .optional(),
  waiting: waiting.optional(),
  fetchError: z.object({ code: z.string(), message: z.string(), at: time }).optional(),
});

export const webhookAnswer = z.object({
  servedCommit: z.string().nullable(),
  lastSeenCommit: z.string().nullable(),
  refused: z.object({ commit: z.string(), code: z.string() }).nullable(),
  waiting: waiting.nullable(),
});

/** One server-sent event's data: the event, and the release as it stood right after it. */
export const streamedEventAnswer = z.object({
  seq: z.number().int(),
  release: z.string(),
  type: z.string(),
  at: time,
  event: z.unknown(),
  state: releaseAnswer.nullable(),
});

/** Every error answer (errors.ts: errorAnswer). */
export const errorBody = z
  .object({
    error: z.object({
      code: z.string().regex(/^SWY_[A-Z]+_[A-Z_]+$/),
      message: z.string(),
      hint: z.string(),
      requestId: z.string().optional(),
      details: z.record(z.string(), z.unknown()).optional(),
      issues: z.array(issue).optional(),
    }),
  })
  .meta({ id: 'Error' });

export const silenceAnswer = z
  .object({
    id: z.string(),
    environment: z.string(),
    services: z.array(z.string()).optional().meta({ description: 'Services and workers it mutes; all when absent' }),
    checks: z.array(z.enum(CHECKS)).optional().meta({ description: 'Checks it mutes; all when absent' }),
    author: z.string().meta({ description: 'The token that created it' }),
    reason: z.string(),
    createdAt: time,
    expiresAt: time,
    expiredAt: time.nullable().meta({ description: 'When someone ended it early' }),
    expiredBy: z.string().nullable(),
    status: z.enum(['active', 'expired']),
  })
  .meta({ id: 'Silence' });

export const runbookAnswer = z
  .object({
    alert: z.string().meta({ description: 'The check or rule the runbook is for' }),
    environment: z.string(),
    source: z.enum(['config', 'default']).meta({
      description:
        "`config`: the configuration repository's runbooks/<alert>.md; `default`: the one shipped with Switchyard",
    }),
    file: z.string().nullable().meta({ description: 'The file in the configuration repository; null for a default' }),
    commit: z
      .string()
      .nullable()
      .meta({ description: 'The configuration commit served (null when the server reads a directory)' }),
    markdown: z.string(),
  })
  .meta({ id: 'Runbook' });

export const silenceListAnswer = z.object({ silences: z.array(silenceAnswer).meta({ description: 'Newest first' }) });

export const timelineEntry = z
  .object({
    id: z.string().meta({ description: 'Unique and stable: the order at one instant, and the paging anchor' }),
    at: time,
    kind: z.enum(TIMELINE_KINDS),
    service: z.string().nullable().meta({ description: 'The service or worker; null for the whole environment' }),
    who: z.string().meta({ description: 'A person or token, or switchyard for what the server decided' }),
    text: z.string(),
    ref: z.string().nullable().meta({ description: 'A release id, a commit, an alert group or a silence id' }),
  })
  .meta({ id: 'TimelineEntry' });

export const timelineAnswer = z.object({
  environment: z.string(),
  since: time,
  until: time,
  entries: z.array(timelineEntry).meta({ description: 'Oldest first' }),
  next: z.string().nullable().meta({ description: 'The cursor of the next page (after=); null on the last page' }),
  truncated: z.boolean().meta({ description: 'The window held more rows than one read takes: narrow it' }),
});

export const postmortemAnswer = z.object({
  environment: z.string(),
  service: z.string().nullable(),
  since: time,
  until: time,
  entries: z.array(timelineEntry),
  truncated: z.boolean(),
  impact: z
    .array(
      z.object({
        service: z.string(),
        requests: z.number().int(),
        errors: z.number().int(),
        readings: z.number().int(),
        from: time,
        to: time,
      }),
    )
    .meta({ description: "Per service, from the routers' counters the releases read in the window" }),
  changes: z.array(
    z.object({
      at: time,
      kind: z.enum(['release', 'commit']),
      service: z.string().nullable(),
      who: z.string(),
      text: z.string(),
      ref: z.string(),
      commits: z.array(z.string()),
    }),
  ),
});
