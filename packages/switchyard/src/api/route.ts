import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { isSwitchyardError, SwitchyardError } from '../errors/index.js';
import type { Environment } from '../spec/index.js';
import { appendAudit, claimIdempotencyKey, completeIdempotencyKey, abandonIdempotencyKey, findTokenBySecret, type SqlClient } from '../store/index.js';
import { authorize, type ApiAction, type Principal } from './auth.js';

/**
 * One table of routes serves both the server and its OpenAPI document: each route says
 * what it needs (the role's action), what it accepts (zod schemas) and what it does.
 */
export interface RouteContext<Params, Body, Query> {
  readonly params: Params;
  readonly body: Body;
  readonly query: Query;
  readonly principal: Principal;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

export interface Route<P extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType> {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly url: string;
  readonly summary: string;
  readonly tag: string;
  /** What the caller must be allowed to do; mutating actions are audited and idempotent. */
  readonly action: ApiAction;
  readonly params?: P;
  readonly body?: B;
  readonly query?: Q;
  /** Text of the audit log's `action`, e.g. `release.deploy`; only mutating routes have one. */
  readonly audit?: string;
  /** The environment the call acts in, when it is not the server's own. */
  readonly environment?: (ctx: { params: z.output<P>; body: z.output<B> }) => Promise<string> | string;
  /** Status of a successful answer (default 200). */
  readonly status?: number;
  /** Streams its own answer (server-sent events). */
  readonly raw?: boolean;
  /**
   * What an Idempotency-Key replay gives back of a successful answer (default: all of it). A
   * route whose answer holds a secret shown once leaves the secret out here, so it is never stored.
   */
  readonly replayAnswer?: (answer: unknown) => unknown;
  handler(ctx: RouteContext<z.output<P>, z.output<B>, z.output<Q>>): Promise<unknown>;
}

export function route<P extends z.ZodType, B extends z.ZodType, Q extends z.ZodType>(r: Route<P, B, Q>): Route {
  return r as unknown as Route;
}

export interface GuardContext {
  readonly db: SqlClient;
  readonly environment: Environment;
}

const BEARER = /^Bearer\s+(\S+)$/i;

async function authenticate(request: FastifyRequest, db: SqlClient): Promise<Principal> {
  const header = request.headers.authorization;
  const secret = header ? BEARER.exec(header)?.[1] : undefined;
  if (!secret) throw new SwitchyardError('SWY_API_UNAUTHENTICATED', { message: 'The request has no Authorization: Bearer token' });
  const token = await findTokenBySecret(db, secret);
  if (!token) throw new SwitchyardError('SWY_API_UNAUTHENTICATED', { message: 'The token is unknown or revoked' });
  return { name: token.name, roles: token.roles };
}

function errorBody(err: unknown): { status: number; body: unknown } {
  if (isSwitchyardError(err)) return { status: err.status, body: { error: err.toJSON() } };
  return { status: 500, body: { error: { code: 'SWY_INTERNAL_ERROR', message: 'An unexpected error happened', hint: 'This is a bug in Switchyard: the server log has the details.' } } };
}

/** Registers the routes: authentication, authorisation, idempotency and the audit log around each handler. */
export function registerRoutes(app: FastifyInstance, routes: readonly Route[], guard: GuardContext): void {
  for (const r of routes) {
    app.route({
      method: r.method,
      url: r.url,
      handler: async (request, reply) => {
        const principal = await authenticate(request, guard.db);
        const params = r.params ? r.params.parse(request.params) : {};
        const body = r.body ? r.body.parse(request.body ?? {}) : {};
        const query = r.query ? r.query.parse(request.query) : {};
        const environment = r.environment ? await r.environment({ params, body }) : guard.environment.name;
        const protectedEnv = environment === guard.environment.name ? guard.environment.protected : true;
        const ctx = { params, body, query, principal, request, reply };
        if (!r.audit) {
          authorize(principal, r.action, environment, protectedEnv);
          if (r.raw) {
            await r.handler(ctx);
            return reply;
          }
          return reply.status(r.status ?? 200).send(await r.handler(ctx));
        }
        const target = request.url.split('?')[0] as string;
        const reason = typeof (body as { reason?: unknown }).reason === 'string' ? ((body as { reason: string }).reason) : null;
        try {
          authorize(principal, r.action, environment, protectedEnv);
        } catch (err) {
          await appendAudit(guard.db, { actor: principal.name, action: r.audit, target, environment, outcome: 'denied', details: { code: (err as SwitchyardError).code }, reason });
          throw err;
        }
        const key = request.headers['idempotency-key'];
        const idempotency = typeof key === 'string' && key.length > 0 ? { key, actor: principal.name, method: r.method, path: target, body } : undefined;
        let status: number;
        let answer: unknown;
        let claimed = false;
        try {
          if (idempotency) {
            const claim = await claimIdempotencyKey(guard.db, idempotency);
            if (claim.outcome === 'replay') return reply.status(claim.status).header('idempotent-replay', 'true').send(claim.body);
            claimed = true;
          }
          answer = await r.handler(ctx);
          status = r.status ?? 200;
        } catch (err) {
          ({ status, body: answer } = errorBody(err));
          if (!isSwitchyardError(err)) request.log.error({ err }, 'unexpected error');
        }
        await appendAudit(guard.db, {
          actor: principal.name,
          action: r.audit,
          target,
          environment,
          outcome: status < 400 ? 'succeeded' : 'failed',
          details: { status, body, ...(status >= 400 ? { error: (answer as { error?: unknown }).error } : {}) },
          reason,
        });
        if (idempotency && claimed) {
          if (status >= 500) await abandonIdempotencyKey(guard.db, idempotency);
          else await completeIdempotencyKey(guard.db, { key: idempotency.key, actor: idempotency.actor, status, body: r.replayAnswer && status < 400 ? r.replayAnswer(answer) : answer });
        }
        return reply.status(status).send(answer);
      },
    });
  }
}
