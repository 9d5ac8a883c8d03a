import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { LocalRuntime } from '../runtime/index.js';
import { version } from '../spec/schema.js';
import { VERSION } from '../version.js';
import { installErrorHandler } from './errors.js';
import { fleetMetrics } from './metrics.js';

export interface ApiOptions {
  readonly runtime: LocalRuntime;
  readonly logger?: boolean;
}

const shareBody = z.strictObject({ share: z.number({ error: 'share must be a number (a percentage)' }) });
const trackBody = z
  .strictObject({
    version: version.optional(),
    replicas: z.number().int().min(0).max(1000).optional(),
  })
  .refine((b) => b.version !== undefined || b.replicas !== undefined, { error: 'give version, replicas or both' });
const params = z.object({ service: z.string(), group: z.string().optional(), track: z.string().optional() });

/** Switchyard's HTTP API: fleet status, live traffic changes, track rolls, and metrics. */
export function buildApi(options: ApiOptions): FastifyInstance {
  const app = Fastify({ logger: options.logger ?? false });
  installErrorHandler(app);
  const { runtime } = options;
  const metrics = fleetMetrics(runtime);

  app.get('/healthz', async () => ({ ok: true, version: VERSION }));

  app.get('/v1/status', async () => ({ environment: runtime.fleet.environment.name, services: runtime.status() }));

  app.get('/v1/services/:service', async (request) => {
    const { service } = params.parse(request.params);
    runtime.service(service);
    return runtime.status().find((s) => s.service === service);
  });

  app.get('/v1/services/:service/figures', async (request) => {
    const { service } = params.parse(request.params);
    return { service, tracks: await runtime.router(service).figures() };
  });

  app.put('/v1/services/:service/groups/:group/share', async (request) => {
    const { service, group } = params.parse(request.params);
    const { share } = shareBody.parse(request.body);
    await runtime.router(service).setShare(group as string, share);
    return { service, group, share, routing: runtime.router(service).currentRouting() };
  });

  app.put('/v1/services/:service/legacy/share', async (request) => {
    const { service } = params.parse(request.params);
    const { share } = shareBody.parse(request.body);
    await runtime.router(service).setLegacyShare(share);
    return { service, legacyShare: share, routing: runtime.router(service).currentRouting() };
  });

  app.put('/v1/services/:service/tracks/:track', async (request) => {
    const { service, track } = params.parse(request.params);
    const change = trackBody.parse(request.body);
    await runtime.setTrack(service, track as string, { ...(change.version !== undefined ? { version: change.version } : {}), ...(change.replicas !== undefined ? { replicas: change.replicas } : {}) });
    return runtime.track(service, track as string).status();
  });

  app.get('/metrics', async (_request, reply) => {
    await metrics.refresh();
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  return app;
}
