import { z } from 'zod';
import { validateLegacyShare, validateShare } from '../../router/index.js';
import type { ApiContext } from '../context.js';
import { guardFreeze } from '../freeze.js';
import { groupName, overrideFreeze, reason, serviceName, trackName, versionTag } from '../input.js';
import type { HealthReport } from '../../health/index.js';
import { environmentHealth } from '../health.js';
import { fleetMetrics } from '../metrics.js';
import { figuresAnswer, legacyShareAnswer, serviceAnswer, shareAnswer, statusAnswer, trackAnswer } from '../answers.js';
import { route, type Route } from '../route.js';
import type { EventStreams } from './events.js';

const service = z.object({ service: serviceName });
const serviceGroup = z.object({ service: serviceName, group: groupName });
const serviceTrack = z.object({ service: serviceName, track: trackName });
const shareBody = z.strictObject({
  share: z.number({ error: 'share must be a number (a percentage)' }),
  reason: reason.optional(),
  overrideFreeze,
});
const trackBody = z
  .strictObject({
    version: versionTag.optional(),
    replicas: z.number().int().min(0).max(1000).optional(),
    reason: reason.optional(),
    overrideFreeze,
  })
  .refine((b) => b.version !== undefined || b.replicas !== undefined, { error: 'give version, replicas or both' });

/** What any live change can answer once validated: reaching the routers or the cluster, and recording it first. */
const LIVE_CHANGE_ERRORS = [
  'SWY_ROUTER_RUNTIME_API',
  'SWY_KUBE_API_ERROR',
  'SWY_KUBE_UNREACHABLE',
  'SWY_REPO_GIT_FAILED',
  'SWY_REPO_LOCKED',
] as const;

const because = (text: string | undefined) => (text ? ` — ${text}` : '');

/** The running fleet: status, figures, live traffic changes and track rolls outside a release. */
export function fleetRoutes(ctx: ApiContext): Route[] {
  const { runtime } = ctx;
  const env = ctx.fleet.environment;
  return [
    route({
      method: 'GET',
      url: '/v1/status',
      summary: 'The running fleet: routers, tracks, versions, ready replicas, shares',
      tag: 'fleet',
      action: 'read',
      response: statusAnswer,
      errors: ['SWY_KUBE_UNREACHABLE'],
      handler: async () => ({
        environment: env.name,
        services: await runtime.status(),
        workers: await runtime.workerStatus(),
      }),
    }),
    route({
      method: 'GET',
      url: '/v1/services/:service',
      summary: 'One service as it runs',
      tag: 'fleet',
      action: 'read',
      params: service,
      response: serviceAnswer,
      errors: ['SWY_SPEC_SERVICE_NOT_FOUND', 'SWY_KUBE_UNREACHABLE'],
      handler: async ({ params }) => {
        runtime.router(params.service);
        return (await runtime.status()).find((s) => s.service === params.service);
      },
    }),
    route({
      method: 'GET',
      url: '/v1/services/:service/figures',
      summary: 'Per-track request, error and latency counters from the router',
      tag: 'fleet',
      action: 'read',
      params: service,
      response: figuresAnswer,
      errors: ['SWY_SPEC_SERVICE_NOT_FOUND', 'SWY_ROUTER_RUNTIME_API'],
      handler: async ({ params }) => ({
        service: params.service,
        tracks: await runtime.router(params.service).figures(),
      }),
    }),
    route({
      method: 'PUT',
      url: '/v1/services/:service/groups/:group/share',
      summary: "Send a share of a group's users to its canary track (live; recorded first)",
      tag: 'traffic',
      action: 'traffic',
      audit: 'traffic.share',
      params: serviceGroup,
      body: shareBody,
      response: shareAnswer,
      errors: [
        'SWY_SPEC_SERVICE_NOT_FOUND',
        'SWY_SPEC_GROUP_NOT_FOUND',
        'SWY_ROUTER_SHARE_INVALID',
        'SWY_ROUTER_GROUP_NEVER_CANARY',
        'SWY_RELEASE_FROZEN',
        ...LIVE_CHANGE_ERRORS,
      ],
      handler: async ({ params, body, principal }) => {
        validateShare(runtime.service(params.service), params.group, body.share);
        const { routing } = runtime.current(params.service);
        const was = routing.shares[params.group] ?? 0;
        if (body.share > was)
          guardFreeze(
            env,
            principal,
            `Widening the ${params.group} share of ${params.service} in ${env.name} is`,
            body,
          );
        await ctx.orchestrator.changeLive({
          service: params.service,
          state: {
            ...runtime.desiredState(params.service),
            routing: { ...routing, shares: { ...routing.shares, [params.group]: body.share } },
          },
          message: `${params.service}: ${body.share}% of ${params.group} on its canary track${because(body.reason)}`,
          author: principal.name,
          apply: () => runtime.setShare(params.service, params.group, body.share),
          undo: () => runtime.setShare(params.service, params.group, was),
        });
        return {
          service: params.service,
          group: params.group,
          share: body.share,
          routing: runtime.current(params.service).routing,
        };
      },
    }),
    route({
      method: 'PUT',
      url: '/v1/services/:service/legacy/share',
      summary: 'Send a share of all traffic to the legacy backend (live; recorded first)',
      tag: 'traffic',
      action: 'traffic',
      audit: 'traffic.legacy',
      params: service,
      body: shareBody,
      response: legacyShareAnswer,
      errors: [
        'SWY_SPEC_SERVICE_NOT_FOUND',
        'SWY_ROUTER_SHARE_INVALID',
        'SWY_ROUTER_NO_LEGACY',
        'SWY_RELEASE_FROZEN',
        ...LIVE_CHANGE_ERRORS,
      ],
      handler: async ({ params, body, principal }) => {
        validateLegacyShare(runtime.service(params.service), body.share);
        const { routing } = runtime.current(params.service);
        const was = routing.legacyShare;
        // Less on the legacy backend is more on the new deployment.
        if (body.share < was)
          guardFreeze(
            env,
            principal,
            `Moving ${params.service}'s traffic off its legacy backend in ${env.name} is`,
            body,
          );
        await ctx.orchestrator.changeLive({
          service: params.service,
          state: { ...runtime.desiredState(params.service), routing: { ...routing, legacyShare: body.share } },
          message: `${params.service}: ${body.share}% on the legacy backend${because(body.reason)}`,
          author: principal.name,
          apply: () => runtime.setLegacyShare(params.service, body.share),
          undo: () => runtime.setLegacyShare(params.service, was),
        });
        return { service: params.service, legacyShare: body.share, routing: runtime.current(params.service).routing };
      },
    }),
    route({
      method: 'PUT',
      url: '/v1/services/:service/tracks/:track',
      summary: 'Roll a track to a version and/or replica count, one replica at a time (recorded first)',
      tag: 'traffic',
      action: 'scale',
      audit: 'track.update',
      params: serviceTrack,
      body: trackBody,
      response: trackAnswer,
      errors: [
        'SWY_SPEC_SERVICE_NOT_FOUND',
        'SWY_SPEC_TRACK_NOT_FOUND',
        'SWY_RELEASE_VERSION_UNKNOWN',
        'SWY_RELEASE_FROZEN',
        'SWY_KUBE_ROLLOUT_FAILED',
        'SWY_RUNTIME_START_FAILED',
        ...LIVE_CHANGE_ERRORS,
      ],
      handler: async ({ params, body, principal }) => {
        const current = await runtime.trackStatus(params.service, params.track);
        const was = { version: current.version, replicas: current.desired };
        const next = { version: body.version ?? was.version, replicas: body.replicas ?? was.replicas };
        if (next.version !== was.version) {
          await runtime.checkVersion(params.service, next.version);
          if (!(await ctx.orchestrator.releasedVersions(params.service)).has(next.version)) {
            guardFreeze(
              env,
              principal,
              `Putting ${params.service} ${next.version}, never released in ${env.name}, on a track is`,
              body,
            );
          }
        }
        const desired = runtime.desiredState(params.service);
        const what = [
          body.version ? `version ${body.version}` : '',
          body.replicas !== undefined ? `${body.replicas} replicas` : '',
        ]
          .filter(Boolean)
          .join(', ');
        await ctx.orchestrator.changeLive({
          service: params.service,
          state: { ...desired, tracks: { ...desired.tracks, [params.track]: next } },
          message: `${params.service}/${params.track}: ${what}${because(body.reason)}`,
          author: principal.name,
          apply: () => runtime.updateTrack(params.service, params.track, next),
          undo: () => runtime.updateTrack(params.service, params.track, was),
        });
        return runtime.trackStatus(params.service, params.track);
      },
    }),
  ];
}

/** Prometheus text for users' own Prometheus and for gates, every environment labelled; unauthenticated, like any scrape target. */
export function metricsHandler(contexts: readonly ApiContext[], streams: EventStreams) {
  const metrics = fleetMetrics(
    contexts.map((c) => c.runtime),
    () => streams.open,
    // A store that does not answer leaves that environment's health out of the scrape, not the routers' figures.
    async () =>
      (await Promise.all(contexts.map((c) => environmentHealth(c).catch(() => undefined)))).filter(
        (r): r is HealthReport => r !== undefined,
      ),
  );
  return async (_request: unknown, reply: { header(k: string, v: string): unknown }) => {
    const text = await metrics.scrape();
    reply.header('content-type', metrics.registry.contentType);
    return text;
  };
}
