import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import type { z } from 'zod';
import { isSwitchyardError, SwitchyardError, type ErrorCode } from '../errors/index.js';
import type { Environment } from '../spec/index.js';
import {
  appendAudit,
  claimIdempotencyKey,
  completeIdempotencyKey,
  abandonIdempotencyKey,
  findTokenBySecret,
  type AuditEntry,
  type SqlClient,
} from '../store/index.js';
import { authorize, type ApiAction, type Principal } from './auth.js';
import { errorAnswer, invalidRequest, type UnexpectedListener } from './errors.js';
import { forTheRecord, refuseControlCharacters } from './input.js';
import type { AuthThrottle } from './throttle.js';

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

export interface Route<
  P extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
> {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly url: string;
  readonly summary: string;
  readonly tag: string;
  /**
   * What the caller must be allowed to do in the server's environment, checked before
   * anything is looked up; a handler may ask more (authorize) once it knows what it does.
   * Mutating actions are audited and idempotent.
   */
  readonly action: ApiAction;
  readonly params?: P;
  readonly body?: B;
  readonly query?: Q;
  /** Text of the audit log's `action`, e.g. `release.deploy`; only mutating routes have one. */
  readonly audit?: string;
  /** Status of a successful answer (default 200). */
  readonly status?: number;
  /**
   * What a successful answer holds (answers.ts): the OpenAPI document's response schema, and
   * what the API's tests check each answer against. For a stream, the data of one event.
   */
  readonly response: z.ZodType;
  /**
   * Catalogue errors this route's own work can answer; the gate's (token, role, environment,
   * input, idempotency, hand-off) are added from what the route is (see openapi.ts: errorsOf).
   */
  readonly errors?: readonly ErrorCode[];
  /** Streams its own answer (server-sent events). */
  readonly raw?: boolean;
  /**
   * What an Idempotency-Key replay gives back of a successful answer (default: all of it). A
   * route whose answer holds a secret shown once leaves the secret out here, so it is never stored.
   */
  readonly replayAnswer?: (answer: unknown) => unknown;
  /**
   * The one exception to the bearer token, for a route another system calls with a credential
   * of its own (a git host's webhook signs its body with a shared secret). It reads the request
   * (its raw body: rawBody()) and returns who calls, or throws SWY_API_UNAUTHENTICATED, which
   * is throttled and audited like a bad token. The rest of the gate is the same; the body is
   * the caller's own format and is not read as input (no schema, no control-character check).
   * The route serves the whole server: a request need not name an environment.
   */
  readonly credential?: (request: FastifyRequest) => Principal;
  handler(ctx: RouteContext<z.output<P>, z.output<B>, z.output<Q>>): Promise<unknown>;
}

export function route<P extends z.ZodType, B extends z.ZodType, Q extends z.ZodType>(r: Route<P, B, Q>): Route {
  return r as unknown as Route;
}

/** What every route's gate shares, whatever environment a request names. */
export interface GuardContext {
  readonly db: SqlClient;
  readonly throttle: AuthThrottle;
  readonly onUnexpected?: UnexpectedListener;
  /** On a replica that stands by, hands an authenticated write to the leader (true) instead of handling it here. */
  readonly handOff?: (request: FastifyRequest, reply: FastifyReply) => Promise<boolean>;
}

/** One environment's routes: the same table for every environment, each bound to its own context. */
export interface ServedRoutes {
  readonly environment: Environment;
  readonly routes: readonly Route[];
}

/** Names the environment a request acts in: a header for programs, a query parameter for browsers. */
export const ENVIRONMENT_HEADER = 'x-switchyard-environment';

const BEARER = /^Bearer\s+(\S+)$/i;

const rawBodies = new WeakMap<FastifyRequest, Buffer>();

/** The body exactly as received, for a route with a credential of its own (empty for the others). */
export function rawBody(request: FastifyRequest): Buffer {
  return rawBodies.get(request) ?? Buffer.alloc(0);
}

/** Keeps the body's bytes before it is parsed: a signature is over them, not over the parsed JSON. */
async function keepRawBody(request: FastifyRequest, _reply: FastifyReply, payload: Readable): Promise<Readable> {
  const chunks: Buffer[] = [];
  for await (const chunk of payload) chunks.push(Buffer.from(chunk as Buffer));
  const raw = Buffer.concat(chunks);
  rawBodies.set(request, raw);
  const replay = Readable.from([raw]) as Readable & { receivedEncodedLength?: number };
  replay.receivedEncodedLength = raw.length;
  return replay;
}

/** Who calls; every refusal says why without telling a guesser anything. */
async function authenticate(request: FastifyRequest, db: SqlClient): Promise<Principal> {
  const header = request.headers.authorization;
  const secret = header ? BEARER.exec(header)?.[1] : undefined;
  if (!secret)
    throw new SwitchyardError('SWY_API_UNAUTHENTICATED', { message: 'The request has no Authorization: Bearer token' });
  const token = await findTokenBySecret(db, secret);
  if (!token) throw new SwitchyardError('SWY_API_UNAUTHENTICATED', { message: 'The token is unknown or revoked' });
  return { name: token.name, roles: token.roles };
}

function parsePart<T extends z.ZodType>(
  schema: T | undefined,
  value: unknown,
  part: string,
): z.output<T> | Record<string, never> {
  if (!schema) return {};
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidRequest(parsed.error, part);
  return parsed.data as z.output<T>;
}

function tooManyFailures(waitMs: number): SwitchyardError {
  const seconds = Math.ceil(waitMs / 1000);
  return new SwitchyardError('SWY_API_TOO_MANY_FAILURES', {
    message: `Too many failed authentications from this address: try again in ${seconds} s`,
    details: { retryAfterSeconds: seconds },
  });
}

/**
 * The gate every route passes, in this order: the address is not throttled, the token is
 * valid (or, for the one exception, the route's own credential: see Route.credential), the
 * environment the request names is served here, the token's role there allows the route's
 * action, the input is well formed; then the handler runs. Every refusal is audited; a
 * mutation is audited whatever its outcome.
 */
class Gate {
  constructor(
    private readonly guard: GuardContext,
    private readonly served: readonly ServedRoutes[],
  ) {}

  /** Refusals are recorded as well as the store allows; a refusal is answered even when it cannot be. */
  private async refusal(
    request: FastifyRequest,
    environment: string | null,
    entry: Omit<AuditEntry, 'target' | 'environment'>,
  ): Promise<void> {
    const target = request.url.split('?')[0] as string;
    await appendAudit(this.guard.db, { ...entry, target: forTheRecord(target) as string, environment }).catch(
      (err: unknown) => {
        request.log.error({ err }, 'could not audit a refusal');
      },
    );
  }

  async admit(request: FastifyRequest, r: Route): Promise<Principal> {
    const { throttle, db } = this.guard;
    const waitMs = await throttle.blockedFor(request.ip);
    if (waitMs > 0) throw tooManyFailures(waitMs);
    try {
      return r.credential ? r.credential(request) : await authenticate(request, db);
    } catch (err) {
      if (!isSwitchyardError(err) || err.code !== 'SWY_API_UNAUTHENTICATED') throw err;
      const { blockedNow } = await throttle.failed(request.ip);
      await this.refusal(request, null, {
        actor: 'anonymous',
        action: 'api.authenticate',
        outcome: blockedNow ? 'throttled' : 'denied',
        details: { address: request.ip, method: request.method, why: err.message },
      });
      throw err;
    }
  }

  /** The environment the request names (the only one when the server serves one and none is named). */
  here(request: FastifyRequest, r: Route): ServedRoutes {
    const header = request.headers[ENVIRONMENT_HEADER];
    const query = (request.query as Record<string, unknown> | undefined)?.['env'];
    const named = typeof header === 'string' ? header : typeof query === 'string' ? query : undefined;
    const names = this.served.map((s) => s.environment.name);
    if (named === undefined) {
      if (this.served.length === 1 || r.credential) return this.served[0] as ServedRoutes;
      throw new SwitchyardError('SWY_API_ENVIRONMENT_REQUIRED', {
        message: `This server serves ${names.join(', ')}: name the environment of the request`,
        details: { served: names },
      });
    }
    const found = this.served.find((s) => s.environment.name === named);
    if (!found) {
      throw new SwitchyardError('SWY_SPEC_ENV_NOT_FOUND', {
        message: `This server does not serve the environment ${forTheRecord(named) as string}: it serves ${names.join(', ')}`,
        hint: 'Point --api (or SWITCHYARD_API) at the server of that environment, or name one it serves with --env.',
        details: { environment: forTheRecord(named), served: names },
      });
    }
    return found;
  }

  async authorize(request: FastifyRequest, principal: Principal, r: Route, env: Environment): Promise<void> {
    try {
      authorize(principal, r.action, env.name, env.protected);
    } catch (err) {
      await this.refusal(request, env.name, {
        actor: principal.name,
        action: r.audit ?? 'api.read',
        outcome: 'denied',
        details: { method: request.method, code: (err as SwitchyardError).code },
      });
      throw err;
    }
  }

  async parse(
    request: FastifyRequest,
    principal: Principal,
    r: Route,
    env: Environment,
  ): Promise<{ params: unknown; body: unknown; query: unknown }> {
    try {
      const body = r.credential ? {} : request.body;
      refuseControlCharacters({ path: request.params, query: request.query, body });
      return {
        params: parsePart(r.params, request.params, 'path'),
        body: parsePart(r.body, body ?? {}, 'body'),
        query: parsePart(r.query, request.query, 'query'),
      };
    } catch (err) {
      if (r.audit)
        await this.refusal(request, env.name, {
          actor: principal.name,
          action: r.audit,
          outcome: 'refused',
          details: {
            method: request.method,
            code: (err as SwitchyardError).code,
            body: r.credential ? null : forTheRecord(request.body ?? null),
          },
        });
      throw err;
    }
  }
}

function outcomeOf(status: number, answer: unknown): string {
  if (status < 400) return 'succeeded';
  const code = (answer as { error?: { code?: string } }).error?.code;
  return code === 'SWY_API_FORBIDDEN' || code === 'SWY_RELEASE_FROZEN' ? 'denied' : 'failed';
}

/** Registers the routes: authentication, authorisation, validation, idempotency and the audit log around each handler. */
export function registerRoutes(app: FastifyInstance, served: readonly ServedRoutes[], guard: GuardContext): void {
  const gate = new Gate(guard, served);
  for (const [i, shape] of (served[0]?.routes ?? []).entries()) {
    app.route({
      method: shape.method,
      url: shape.url,
      ...(shape.credential ? { preParsing: keepRawBody } : {}),
      handler: async (request, reply) => {
        const principal = await gate.admit(request, shape);
        if (shape.method !== 'GET' && (await guard.handOff?.(request, reply))) return reply;
        const here = gate.here(request, shape);
        const r = here.routes[i] as Route;
        const env = here.environment;
        await gate.authorize(request, principal, r, env);
        const { params, body, query } = await gate.parse(request, principal, r, env);
        const ctx = { params, body, query, principal, request, reply };
        if (!r.audit) {
          if (r.raw) {
            await r.handler(ctx);
            return reply;
          }
          return reply.status(r.status ?? 200).send(await r.handler(ctx));
        }
        const target = request.url.split('?')[0] as string;
        const reason =
          typeof (body as { reason?: unknown }).reason === 'string' ? (body as { reason: string }).reason : null;
        const key = request.headers['idempotency-key'];
        const idempotency =
          typeof key === 'string' && key.length > 0 && key.length <= 200
            ? { key, actor: principal.name, method: r.method, path: `${env.name}:${target}`, body }
            : undefined;
        let status: number;
        let answer: unknown;
        let claimed = false;
        try {
          if (idempotency) {
            const claim = await claimIdempotencyKey(guard.db, idempotency);
            if (claim.outcome === 'replay')
              return reply.status(claim.status).header('idempotent-replay', 'true').send(claim.body);
            claimed = true;
          }
          answer = await r.handler(ctx);
          status = r.status ?? 200;
        } catch (err) {
          ({ status, body: answer } = errorAnswer(err, request, guard.onUnexpected));
        }
        await appendAudit(guard.db, {
          actor: principal.name,
          action: r.audit,
          target,
          environment: env.name,
          outcome: outcomeOf(status, answer),
          details: { status, body, ...(status >= 400 ? { error: (answer as { error?: unknown }).error } : {}) },
          reason,
        });
        if (idempotency && claimed) {
          if (status >= 500) await abandonIdempotencyKey(guard.db, idempotency);
          else
            await completeIdempotencyKey(guard.db, {
              key: idempotency.key,
              actor: idempotency.actor,
              status,
              body: r.replayAnswer && status < 400 ? r.replayAnswer(answer) : answer,
            });
        }
        return reply.status(status).send(answer);
      },
    });
  }
}
