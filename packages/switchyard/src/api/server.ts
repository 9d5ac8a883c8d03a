import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { VERSION } from '../version.js';
import type { ApiContext } from './context.js';
import { errorAnswer, installErrorHandler, type UnexpectedListener } from './errors.js';
import { openApiDocument } from './openapi.js';
import { registerRoutes, type Route } from './route.js';
import { EventStreams, eventRoutes } from './routes/events.js';
import { fleetRoutes, metricsHandler } from './routes/fleet.js';
import { releaseRoutes } from './routes/releases.js';
import { tokenRoutes } from './routes/tokens.js';
import { AuthThrottle, type ThrottleSettings } from './throttle.js';

export function apiRoutes(ctx: ApiContext, streams = new EventStreams()): Route[] {
  return [...fleetRoutes(ctx), ...releaseRoutes(ctx), ...tokenRoutes(ctx), ...eventRoutes(ctx, streams)];
}

export interface ApiOptions {
  /** Where the API logs refusals and unexpected failures (default: nowhere). */
  readonly logger?: FastifyBaseLogger;
  readonly onUnexpected?: UnexpectedListener;
  readonly throttle?: ThrottleSettings;
  /** Event streams one token may hold at once (default 20). */
  readonly streamsPerToken?: number;
}

/** Path parameters longer than this are refused (414) before any route sees them. */
const MAX_SEGMENT = 200;

/** Switchyard's HTTP API: the fleet, live traffic, releases, the event stream, the audit log, metrics. */
export function buildApi(ctx: ApiContext, options: ApiOptions = {}): FastifyInstance {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // Only refusals and failures are logged, by the routes themselves: not a line per request.
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
    genReqId: () => randomUUID(),
    routerOptions: { maxParamLength: MAX_SEGMENT },
    // A bad or over-long URL is refused by the router before any hook: answer it from the catalogue too.
    frameworkErrors: (err, request, reply) => {
      const answer = errorAnswer(err, request);
      void (reply as FastifyReply).status(answer.status).send(answer.body);
    },
  });
  installErrorHandler(app, options.onUnexpected);
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', String(request.id));
    reply.header('x-content-type-options', 'nosniff');
    reply.header('cache-control', 'no-store');
    return payload;
  });
  const streams = new EventStreams(options.streamsPerToken);
  const routes = apiRoutes(ctx, streams);
  const document = openApiDocument(routes);
  app.get('/healthz', async () => ({ ok: true, version: VERSION }));
  app.get('/v1/openapi.json', async () => document);
  app.get('/metrics', metricsHandler(ctx, streams));
  registerRoutes(app, routes, {
    db: ctx.store,
    environment: ctx.fleet.environment,
    throttle: new AuthThrottle(options.throttle),
    ...(options.onUnexpected ? { onUnexpected: options.onUnexpected } : {}),
  });
  return app;
}
