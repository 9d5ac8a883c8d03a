import { z } from 'zod';
import { catalogue, type ErrorCode } from '../errors/index.js';
import { VERSION } from '../version.js';
import { errorBody } from './answers.js';
import type { Route } from './route.js';

const toOpenApiPath = (url: string) => url.replace(/:([A-Za-z]+)/g, '{$1}');

/** Every request can meet these: a broken store, a bug. */
const ANY: readonly ErrorCode[] = ['SWY_INTERNAL_ERROR', 'SWY_STORE_UNAVAILABLE'];
/** The gate of a route called with a bearer token (route.ts: Gate). */
const BEARER: readonly ErrorCode[] = [
  'SWY_API_UNAUTHENTICATED',
  'SWY_API_TOKEN_EXPIRED',
  'SWY_API_TOO_MANY_FAILURES',
  'SWY_API_FORBIDDEN',
  'SWY_API_ENVIRONMENT_REQUIRED',
  'SWY_SPEC_ENV_NOT_FOUND',
  'SWY_API_BAD_REQUEST',
];
/** The gate of a route with a credential of its own (a signed webhook). */
const OWN_CREDENTIAL: readonly ErrorCode[] = ['SWY_API_UNAUTHENTICATED', 'SWY_API_TOO_MANY_FAILURES'];
/** A mutation: idempotency keys, and a standby that has no leader to hand it to. */
const MUTATION: readonly ErrorCode[] = [
  'SWY_STORE_IDEMPOTENCY_MISMATCH',
  'SWY_STORE_IDEMPOTENCY_IN_PROGRESS',
  'SWY_API_NO_LEADER',
];

/** The catalogue errors a route can answer: the gate's, by what the route is, and its own. */
export function errorsOf(r: Route): ErrorCode[] {
  const codes = new Set<ErrorCode>([
    ...ANY,
    ...(r.credential ? OWN_CREDENTIAL : BEARER),
    ...(r.url.includes(':') ? (['SWY_API_URI_TOO_LONG'] as const) : []),
    ...(r.body ? (['SWY_API_BODY_TOO_LARGE'] as const) : []),
    ...(r.audit ? MUTATION : []),
    ...(r.errors ?? []),
  ]);
  return [...codes].sort();
}

/** The error responses of a route, one per HTTP status, each naming the codes it carries. */
function errorResponses(r: Route): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorsOf(r)) {
    const { status } = catalogue[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  // The framework refuses a body that is not JSON with its own status, answered from the catalogue.
  if (r.body && !r.credential) byStatus.set(415, ['SWY_API_BAD_REQUEST']);
  const responses: Record<string, unknown> = {};
  for (const status of [...byStatus.keys()].sort((a, b) => a - b)) {
    const codes = byStatus.get(status) as ErrorCode[];
    responses[String(status)] = {
      description: codes
        .map((c) => `${c}: ${status === 415 ? 'The request body is not JSON' : catalogue[c].message}`)
        .join('; '),
      ...(status === 401 ? { headers: { 'WWW-Authenticate': { $ref: '#/components/headers/WWW-Authenticate' } } } : {}),
      ...(status === 429 || status === 503
        ? { headers: { 'Retry-After': { $ref: '#/components/headers/Retry-After' } } }
        : {}),
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  return responses;
}

/**
 * A zod schema as the document's JSON Schema: parts named with meta({ id }) become shared
 * components, referred to from every place they appear.
 */
export function schemaOf(schema: z.ZodType, io: 'input' | 'output', components: Record<string, unknown>): unknown {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Record<
    string,
    unknown
  >;
  const { $schema: _dialect, $defs, ...inline } = json;
  const text = (value: unknown) => JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/');
  for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, unknown>))
    components[id] = JSON.parse(text(def)) as unknown;
  return JSON.parse(text(inline)) as unknown;
}

/**
 * The packages declare no licence (package.json has no `license`): none is granted, which is
 * what npm calls UNLICENSED. Change it here and in package.json together.
 */
const LICENSE = { name: 'UNLICENSED' } as const;

/** What each tag of the document groups. */
const TAGS: Readonly<Record<string, string>> = {
  fleet: 'The running fleet: services, tracks, figures, which replica leads',
  traffic: 'Live traffic changes: shares, the legacy backend, track rolls (each recorded first)',
  releases: 'Staged releases: deploy, act on a release, roll back, follow the events',
  audit: 'The append-only audit log',
  tokens: 'API tokens: a role per environment',
  config: 'The configuration the server follows',
  alerts: 'Alerts over the health findings: silences',
  incidents: 'The incident timeline and the material of a post-mortem',
};

/** A zod object's properties as OpenAPI parameters of one place (path, query). */
function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query'): Record<string, unknown>[] {
  if (!schema) return [];
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, Record<string, unknown>>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || (json.required ?? []).includes(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

function operationId(r: Route): string {
  const words = toOpenApiPath(r.url).replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) =>
    c ? c.toUpperCase() : '',
  );
  return `${r.method.toLowerCase()}${words}`;
}

/**
 * The OpenAPI 3.1 document of the API, made from the same route table the server runs: inputs,
 * answers and the catalogue errors each route can give. `environments`: what the server serves;
 * a request names one with the header (or `env`) when there are several.
 */
export function openApiDocument(
  routes: readonly Route[],
  environments: readonly string[] = [],
): Record<string, unknown> {
  const schemas: Record<string, unknown> = {};
  const environment = {
    name: 'X-Switchyard-Environment',
    in: 'header',
    required: environments.length > 1,
    schema: { type: 'string', ...(environments.length > 0 ? { enum: [...environments] } : {}) },
    description: 'The environment the call acts in (or the env query parameter); optional when the server serves one',
  };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const answer = schemaOf(r.response, 'output', schemas);
    const operation: Record<string, unknown> = {
      summary: r.summary,
      tags: [r.tag],
      operationId: operationId(r),
      // A route with a credential of its own (a signed webhook) takes no bearer token.
      security: r.credential ? [] : [{ bearer: [] }],
      parameters: [
        ...parametersOf(r.params, 'path'),
        ...parametersOf(r.query, 'query'),
        environment,
        ...(r.audit
          ? [
              {
                name: 'Idempotency-Key',
                in: 'header',
                required: false,
                schema: { type: 'string', maxLength: 200 },
                description: 'Retries with the same key get the first answer',
              },
            ]
          : []),
      ],
      'x-switchyard-action': r.action,
      responses: {
        [String(r.status ?? 200)]: r.raw
          ? {
              description: 'Server-sent events; the data of each is one JSON object (x-switchyard-event-data)',
              // OpenAPI 3.1 has no schema for one event of a stream (3.2's itemSchema): an extension holds it.
              content: { 'text/event-stream': { schema: { type: 'string' }, 'x-switchyard-event-data': answer } },
            }
          : { description: 'OK', content: { 'application/json': { schema: answer } } },
        ...errorResponses(r),
      },
    };
    if (r.body)
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: schemaOf(r.body, 'input', schemas) } },
      };
    paths[toOpenApiPath(r.url)] = { ...(paths[toOpenApiPath(r.url)] ?? {}), [r.method.toLowerCase()]: operation };
  }
  schemaOf(errorBody, 'output', schemas);
  const usedTags = new Set(routes.map((r) => r.tag));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchyard API',
      version: VERSION,
      description: 'Releases, live traffic and the fleet. Errors carry a code from docs/errors.md.',
      license: LICENSE,
    },
    servers: [
      {
        url: '{scheme}://{address}',
        description: 'A Switchyard server (`switchyard up` serves one on 127.0.0.1:7070)',
        variables: {
          scheme: { default: 'http', enum: ['http', 'https'] },
          address: { default: '127.0.0.1:7070', description: 'Host and port of the server' },
        },
      },
    ],
    tags: Object.entries(TAGS)
      .filter(([name]) => usedTags.has(name))
      .map(([name, description]) => ({ name, description })),
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API token (swy_…); roles per environment decide what it may do',
        },
      },
      headers: {
        'WWW-Authenticate': {
          description:
            'Bearer realm="switchyard", with error="invalid_token" when the token sent was refused (RFC 6750)',
          schema: { type: 'string' },
        },
        'Retry-After': {
          description: 'Seconds to wait before trying again, when known',
          schema: { type: 'integer', minimum: 0 },
        },
      },
      schemas,
    },
  };
}
