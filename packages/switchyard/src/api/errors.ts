import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isSwitchyardError, SwitchyardError } from '../errors/index.js';

/** The one place errors become HTTP answers: catalogue errors with their status, anything else a bare 500. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    if (isSwitchyardError(err)) return reply.status(err.status).send({ error: err.toJSON() });
    if (err instanceof z.ZodError) {
      const invalid = new SwitchyardError('SWY_API_BAD_REQUEST', {
        message: `The request body is invalid: ${err.issues.map((i) => `${i.path.join('.') || 'body'} ${i.message}`).join('; ')}`,
        issues: err.issues.map((i) => ({ code: i.code, path: i.path.join('.'), message: i.message })),
      });
      return reply.status(invalid.status).send({ error: invalid.toJSON() });
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      const bad = new SwitchyardError('SWY_API_BAD_REQUEST', { message: (err as Error).message });
      return reply.status(status).send({ error: bad.toJSON() });
    }
    request.log.error({ err }, 'unexpected error');
    return reply.status(500).send({ error: { code: 'SWY_INTERNAL_ERROR', message: 'An unexpected error happened', hint: 'This is a bug in Switchyard: the server log has the details.' } });
  });
  app.setNotFoundHandler((request, reply) => {
    const missing = new SwitchyardError('SWY_API_NOT_FOUND', { message: `No such endpoint: ${request.method} ${request.url}` });
    return reply.status(404).send({ error: missing.toJSON() });
  });
}
