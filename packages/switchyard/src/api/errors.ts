import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { catalogue, isSwitchyardError, SwitchyardError } from '../errors/index.js';

/** Told of every unexpected failure (a bug, a broken store), after it was logged. */
export type UnexpectedListener = (failure: {
  readonly requestId: string;
  readonly method: string;
  readonly url: string;
  readonly error: unknown;
}) => void;

export interface ErrorAnswer {
  readonly status: number;
  readonly body: { readonly error: Record<string, unknown> };
}

/** Framework refusals (body too large, URL too long…) by HTTP status, as catalogue errors. */
function frameworkError(status: number, message: string): SwitchyardError {
  if (status === 413)
    return new SwitchyardError('SWY_API_BODY_TOO_LARGE', { message: `The request body is too large: ${message}` });
  if (status === 414) return new SwitchyardError('SWY_API_URI_TOO_LONG');
  return new SwitchyardError('SWY_API_BAD_REQUEST', { message });
}

function invalidRequest(err: z.ZodError, part = 'body'): SwitchyardError {
  return new SwitchyardError('SWY_API_BAD_REQUEST', {
    message: `The request ${part} is invalid: ${err.issues.map((i) => `${i.path.join('.') || part} ${i.message}`).join('; ')}`,
    issues: err.issues.map((i) => ({ code: i.code, path: i.path.join('.'), message: i.message })),
  });
}

/** Store and internal failures are the server's business: their messages name files and hosts. */
function isServerSide(err: SwitchyardError): boolean {
  return err.kind === 'internal' || (err.code.startsWith('SWY_STORE_') && err.status >= 500);
}

/**
 * The one place errors become HTTP answers: catalogue errors with their status; the server's
 * own failures logged with the request id, and answered with that id and nothing internal.
 */
export function errorAnswer(err: unknown, request: FastifyRequest, onUnexpected?: UnexpectedListener): ErrorAnswer {
  const requestId = String(request.id);
  if (err instanceof z.ZodError) err = invalidRequest(err);
  const frameworkStatus = isSwitchyardError(err) ? undefined : (err as { statusCode?: number }).statusCode;
  if (frameworkStatus !== undefined && frameworkStatus >= 400 && frameworkStatus < 500) {
    // The framework's own status stands (415 for a wrong content type…), with a catalogue body.
    const refused = frameworkError(frameworkStatus, (err as Error).message);
    return { status: frameworkStatus, body: { error: { ...refused.toJSON(), requestId } } };
  }
  if (isSwitchyardError(err) && !isServerSide(err))
    return { status: err.status, body: { error: { ...err.toJSON(), requestId } } };
  request.log.error({ err, reqId: requestId, method: request.method, url: request.url }, 'unexpected error');
  onUnexpected?.({ requestId, method: request.method, url: request.url, error: err });
  const code = isSwitchyardError(err) && err.kind === 'unavailable' ? err.code : 'SWY_INTERNAL_ERROR';
  const entry = catalogue[code];
  return {
    status: isSwitchyardError(err) ? err.status : 500,
    body: {
      error: {
        code,
        message: entry.message,
        hint: `${entry.hint} The server log has the details under request ${requestId}.`,
        requestId,
      },
    },
  };
}

export { invalidRequest };

/**
 * The challenge of a 401 (RFC 6750): the scheme and realm; `invalid_token` when a bearer token
 * was sent and refused, `invalid_request` when the Authorization header is not a bearer token.
 */
export function bearerChallenge(authorization: string | undefined): string {
  const realm = 'Bearer realm="switchyard"';
  if (authorization === undefined || authorization.trim() === '') return realm;
  return /^Bearer\s+\S+$/i.test(authorization)
    ? `${realm}, error="invalid_token", error_description="The token is unknown, revoked or expired"`
    : `${realm}, error="invalid_request", error_description="Send Authorization: Bearer <token>"`;
}

/** Routes' errors, the framework's and unknown endpoints all answer from the catalogue. */
export function installErrorHandler(app: FastifyInstance, onUnexpected?: UnexpectedListener): void {
  app.setErrorHandler((err, request, reply) => {
    const answer = errorAnswer(err, request, onUnexpected);
    if (answer.status === 401) reply.header('www-authenticate', bearerChallenge(request.headers.authorization));
    const retryAfter = isSwitchyardError(err) ? err.details['retryAfterSeconds'] : undefined;
    if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
    return reply.status(answer.status).send(answer.body);
  });
  app.setNotFoundHandler((request, reply) => {
    const missing = new SwitchyardError('SWY_API_NOT_FOUND', {
      message: `No such endpoint: ${request.method} ${request.url.slice(0, 200)}`,
    });
    return reply.status(404).send({ error: { ...missing.toJSON(), requestId: String(request.id) } });
  });
}
