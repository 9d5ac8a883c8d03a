import { z } from 'zod';
import { VERSION } from '../version.js';
import type { Route } from './route.js';

const toOpenApiPath = (url: string) => url.replace(/:([A-Za-z]+)/g, '{$1}');

/** The OpenAPI 3.1 document of the API, made from the same route table the server runs. */
/** `environments`: what the server serves; a request names one with the header (or `env`) when there are several. */
export function openApiDocument(
  routes: readonly Route[],
  environments: readonly string[] = [],
): Record<string, unknown> {
  const environment = {
    name: 'X-Switchyard-Environment',
    in: 'header',
    required: environments.length > 1,
    schema: { type: 'string', ...(environments.length > 0 ? { enum: [...environments] } : {}) },
    description: 'The environment the call acts in (or the env query parameter); optional when the server serves one',
  };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const params = [...r.url.matchAll(/:([A-Za-z]+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const query = r.query
      ? Object.entries(
          (z.toJSONSchema(r.query, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown> })
            .properties ?? {},
        ).map(([name, schema]) => ({ name, in: 'query', required: false, schema }))
      : [];
    const operation: Record<string, unknown> = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method.toLowerCase()}${toOpenApiPath(r.url).replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      // A route with a credential of its own (a signed webhook) takes no bearer token.
      security: r.credential ? [] : [{ bearer: [] }],
      parameters: [
        ...params,
        ...query,
        environment,
        ...(r.audit
          ? [
              {
                name: 'Idempotency-Key',
                in: 'header',
                required: false,
                schema: { type: 'string' },
                description: 'Retries with the same key get the first answer',
              },
            ]
          : []),
      ],
      'x-switchyard-action': r.action,
      responses: {
        [String(r.status ?? 200)]: {
          description: r.raw ? 'text/event-stream' : 'OK',
          content: r.raw ? { 'text/event-stream': {} } : { 'application/json': {} },
        },
        default: {
          description: 'Error',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    };
    if (r.body)
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: z.toJSONSchema(r.body, { io: 'input', unrepresentable: 'any' }) } },
      };
    paths[toOpenApiPath(r.url)] = { ...(paths[toOpenApiPath(r.url)] ?? {}), [r.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchyard API',
      version: VERSION,
      description: 'Releases, live traffic and the fleet. Errors carry a code from docs/errors.md.',
    },
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API token (swy_…); roles per environment decide what it may do',
        },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message', 'hint'],
              properties: {
                code: { type: 'string', pattern: '^SWY_' },
                message: { type: 'string' },
                hint: { type: 'string' },
                details: { type: 'object' },
                issues: { type: 'array' },
              },
            },
          },
        },
      },
    },
  };
}
