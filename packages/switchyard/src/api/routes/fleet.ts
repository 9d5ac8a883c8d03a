import { z } from 'zod';
import { version } from '../../spec/schema.js';
import type { ApiContext } from '../context.js';
import { fleetMetrics } from '../metrics.js';
import { route, type Route } from '../route.js';

const service = z.object({ service: z.string() });
const serviceGroup = z.object({ service: z.string(), group: z.string() });
const serviceTrack = z.object({ service: z.string(), track: z.string() });
const shareBody = z.strictObject({ share: z.number({ error: 'share must be a number (a percentage)' }), reason: z.string().optional() });
const trackBody = z
  .strictObject({ version: version.optional(), replicas: z.number().int().min(0).max(1000).optional(), reason: z.string().optional() })
  .refine((b) => b.version !== undefined || b.replicas !== undefined, { error: 'give version, replicas or both' });

/** The running fleet: status, figures, live traffic changes and track rolls outside a release. */
export function fleetRoutes(ctx: ApiContext): Route[] {
  const { runtime } = ctx;
  return [
    route({
      method: 'GET', url: '/v1/status', summary: 'The running fleet: routers, tracks, versions, ready replicas, shares', tag: 'fleet', action: 'read',
      handler: async () => ({ environment: ctx.fleet.environment.name, services: runtime.status(), workers: runtime.workerStatus() }),
    }),
    route({
      method: 'GET', url: '/v1/services/:service', summary: 'One service as it runs', tag: 'fleet', action: 'read', params: service,
      handler: async ({ params }) => {
        runtime.router(params.service);
        return runtime.status().find((s) => s.service === params.service);
      },
    }),
    route({
      method: 'GET', url: '/v1/services/:service/figures', summary: 'Per-track request, error and latency counters from the router', tag: 'fleet', action: 'read', params: service,
      handler: async ({ params }) => ({ service: params.service, tracks: await runtime.router(params.service).figures() }),
    }),
    route({
      method: 'PUT', url: '/v1/services/:service/groups/:group/share', summary: 'Send a share of a group\'s users to its canary track (live)', tag: 'traffic', action: 'traffic', audit: 'traffic.share', params: serviceGroup, body: shareBody,
      handler: async ({ params, body, principal }) => {
        await runtime.setShare(params.service, params.group, body.share);
        await ctx.orchestrator.recordManual(params.service, `${params.service}: ${body.share}% of ${params.group} on its canary track${body.reason ? ` — ${body.reason}` : ''}`, principal.name);
        return { service: params.service, group: params.group, share: body.share, routing: runtime.router(params.service).currentRouting() };
      },
    }),
    route({
      method: 'PUT', url: '/v1/services/:service/legacy/share', summary: 'Send a share of all traffic to the legacy backend (live)', tag: 'traffic', action: 'traffic', audit: 'traffic.legacy', params: service, body: shareBody,
      handler: async ({ params, body, principal }) => {
        await runtime.setLegacyShare(params.service, body.share);
        await ctx.orchestrator.recordManual(params.service, `${params.service}: ${body.share}% on the legacy backend${body.reason ? ` — ${body.reason}` : ''}`, principal.name);
        return { service: params.service, legacyShare: body.share, routing: runtime.router(params.service).currentRouting() };
      },
    }),
    route({
      method: 'PUT', url: '/v1/services/:service/tracks/:track', summary: 'Roll a track to a version and/or replica count, one replica at a time', tag: 'traffic', action: 'scale', audit: 'track.update', params: serviceTrack, body: trackBody,
      handler: async ({ params, body, principal }) => {
        await runtime.updateTrack(params.service, params.track, { ...(body.version !== undefined ? { version: body.version } : {}), ...(body.replicas !== undefined ? { replicas: body.replicas } : {}) });
        const what = [body.version ? `version ${body.version}` : '', body.replicas !== undefined ? `${body.replicas} replicas` : ''].filter(Boolean).join(', ');
        await ctx.orchestrator.recordManual(params.service, `${params.service}/${params.track}: ${what}${body.reason ? ` — ${body.reason}` : ''}`, principal.name);
        return runtime.track(params.service, params.track).status();
      },
    }),
  ];
}

/** Prometheus text for users' own Prometheus and for gates; unauthenticated, like any scrape target. */
export function metricsHandler(ctx: ApiContext) {
  const metrics = fleetMetrics(ctx.runtime);
  return async (_request: unknown, reply: { header(k: string, v: string): unknown }) => {
    await metrics.refresh();
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  };
}
