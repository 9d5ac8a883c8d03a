import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { SwitchyardError } from '../errors/index.js';
import { VERSION } from '../version.js';
import type { ApiContext } from './context.js';
import { errorAnswer, installErrorHandler, type UnexpectedListener } from './errors.js';
import { ALONE, handedOffRequestId, handOff, readiness, type ApiLeadership } from './hand-off.js';
import { openApiDocument } from './openapi.js';
import { registerRoutes, type Route } from './route.js';
import { configRoutes } from './routes/config.js';
import { EventStreams, eventRoutes } from './routes/events.js';
import { fleetRoutes, metricsHandler } from './routes/fleet.js';
import { silenceRoutes } from './routes/silences.js';
import { healthRoutes } from './routes/health.js';
import { timelineRoutes } from './routes/timeline.js';
import { leaderRoutes } from './routes/leader.js';
import { releaseRoutes } from './routes/releases.js';
import { runbookRoutes } from './routes/runbooks.js';
import { tokenRoutes } from './routes/tokens.js';
import { AuthThrottle, type ThrottleSettings } from './throttle.js';

export function apiRoutes(ctx: ApiContext, streams = new EventStreams(), leadership?: ApiLeadership): Route[] {
  return [
    ...fleetRoutes(ctx),
    ...healthRoutes(ctx),
    ...silenceRoutes(ctx),
    ...runbookRoutes(ctx),
    ...timelineRoutes(ctx),
    ...releaseRoutes(ctx),
    ...tokenRoutes(ctx),
    ...eventRoutes(ctx, streams),
    ...leaderRoutes(leadership),
    ...configRoutes(ctx),
  ];
}

export interface ApiOptions {
  /** Where the API logs refusals and unexpected failures (default: nowhere). */
  readonly logger?: FastifyBaseLogger;
  readonly onUnexpected?: UnexpectedListener;
  readonly throttle?: ThrottleSettings;
  /** Event streams one token may hold at once (default 20). */
  readonly streamsPerToken?: number;
  /** Replicas of one store: a standby hands writes to the leader; GET /v1/leader and /readyz say who leads. Alone by default. */
  readonly leadership?: ApiLeadership;
  /** Whether the store answers, for /readyz (default: a trivial query). */
  readonly storeAnswers?: () => Promise<boolean>;
}

/** Path parameters longer than this are refused (414) before any route sees them. */
const MAX_SEGMENT = 200;

/**
 * Switchyard's HTTP API for every environment a server serves: the fleet, live traffic,
 * releases, the event stream, the audit log, metrics. One route table, bound to each
 * environment's context; a request names its environment (the only one by default).
 */
export function buildApi(contexts: readonly ApiContext[], options: ApiOptions = {}): FastifyInstance {
  const [first] = contexts;
  if (!first) throw new SwitchyardError('SWY_INTERNAL_ERROR', { message: 'The API was built for no environment' });
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // Only refusals and failures are logged, by the routes themselves: not a line per request.
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
    genReqId: (req) => handedOffRequestId(req.headers) ?? randomUUID(),
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
  const { leadership } = options;
  const served = contexts.map((ctx) => ({
    environment: ctx.fleet.environment,
    routes: apiRoutes(ctx, streams, leadership),
  }));
  const document = openApiDocument(
    served[0]?.routes ?? [],
    contexts.map((c) => c.fleet.environment.name),
  );
  app.get('/healthz', async () => ({
    ok: true,
    version: VERSION,
    environments: contexts.map((c) => c.fleet.environment.name),
  }));
  app.get('/readyz', async (_request, reply) => {
    const storeAnswers = await (options.storeAnswers ?? (() => first.store.query('SELECT 1').then(() => true)))().catch(
      () => false,
    );
    const { ready, why } = readiness(leadership ? await leadership.view().catch(() => undefined) : ALONE, storeAnswers);
    return reply.status(ready ? 200 : 503).send({ ready, why });
  });
  app.get('/v1/openapi.json', async () => document);
  app.get('/metrics', metricsHandler(contexts, streams));
  registerRoutes(app, served, {
    db: first.store,
    throttle: new AuthThrottle(options.throttle),
    ...(options.onUnexpected ? { onUnexpected: options.onUnexpected } : {}),
    ...(leadership ? { handOff: (request, reply) => handOff(leadership, request, reply) } : {}),
  });
  return app;
}
