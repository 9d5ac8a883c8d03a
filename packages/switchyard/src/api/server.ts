import Fastify, { type FastifyInstance } from 'fastify';
import { VERSION } from '../version.js';
import type { ApiContext } from './context.js';
import { installErrorHandler } from './errors.js';
import { openApiDocument } from './openapi.js';
import { registerRoutes, type Route } from './route.js';
import { fleetRoutes, metricsHandler } from './routes/fleet.js';
import { releaseRoutes } from './routes/releases.js';
import { tokenRoutes } from './routes/tokens.js';

export function apiRoutes(ctx: ApiContext): Route[] {
  return [...fleetRoutes(ctx), ...releaseRoutes(ctx), ...tokenRoutes(ctx)];
}

/** Switchyard's HTTP API: the fleet, live traffic, releases, the event stream, the audit log, metrics. */
export function buildApi(ctx: ApiContext, options: { logger?: boolean } = {}): FastifyInstance {
  const app = Fastify({ logger: options.logger ?? false, forceCloseConnections: true });
  installErrorHandler(app);
  const routes = apiRoutes(ctx);
  const document = openApiDocument(routes);
  app.get('/healthz', async () => ({ ok: true, version: VERSION }));
  app.get('/v1/openapi.json', async () => document);
  app.get('/metrics', metricsHandler(ctx));
  registerRoutes(app, routes, { db: ctx.store, environment: ctx.fleet.environment });
  return app;
}
