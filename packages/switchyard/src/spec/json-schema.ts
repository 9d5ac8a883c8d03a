import { z } from 'zod';
import { environmentSchema, serviceSchema, unitSchema, workerSchema } from './schema.js';

type JsonSchema = Record<string, unknown>;

/** The formats JSON Schema defines (2020-12); zod names checks of its own (starts_with…) that validators refuse. */
const STANDARD_FORMATS = new Set([
  'date-time',
  'date',
  'time',
  'duration',
  'email',
  'idn-email',
  'hostname',
  'idn-hostname',
  'ipv4',
  'ipv6',
  'uri',
  'uri-reference',
  'iri',
  'iri-reference',
  'uuid',
  'uri-template',
  'json-pointer',
  'relative-json-pointer',
  'regex',
]);

/** What an overlay may not set: it is the service file's (config.ts refuses it too). */
const FIXED_FIELDS = ['apiVersion', 'kind', 'name'];

function toJson(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

/** Applies `change` to every schema inside `schema` (and to it), depth first. */
function rewrite(schema: unknown, change: (s: JsonSchema) => JsonSchema): unknown {
  if (Array.isArray(schema)) return schema.map((s) => rewrite(s, change));
  if (schema === null || typeof schema !== 'object') return schema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (VALUES.has(key)) out[key] = value;
    else if (SCHEMA_MAPS.has(key))
      out[key] = Object.fromEntries(Object.entries(value as JsonSchema).map(([k, v]) => [k, rewrite(v, change)]));
    else out[key] = rewrite(value, change);
  }
  return change(out);
}

/** Keys whose value is data, not a schema. */
const VALUES = new Set(['const', 'enum', 'default', 'examples', 'required']);
/** Keys whose value maps names to schemas. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs']);

/** Keeps the pattern of a zod-only format (starts_with is also a pattern) and drops the format. */
function standardFormats(schema: JsonSchema): JsonSchema {
  if (typeof schema['format'] !== 'string' || STANDARD_FORMATS.has(schema['format'])) return schema;
  const { format: _zodOnly, ...rest } = schema;
  return rest;
}

/**
 * A service or worker as an environment overlays it: every field optional at every depth
 * (mappings merge key by key), no defaults (the service file has them), unknown keys still
 * refused, so an editor flags a typo inside an overlay as it does in the service file.
 */
function overlayOf(unit: JsonSchema, title: string): JsonSchema {
  const partial = rewrite(unit, (s) => {
    const { required: _required, default: _default, title: _title, ...rest } = s;
    return rest;
  }) as JsonSchema;
  const properties = { ...(partial['properties'] as JsonSchema) };
  for (const fixed of FIXED_FIELDS) delete properties[fixed];
  return { ...partial, properties, title, description: `What an environment changes of a ${title.split(' ')[0]}` };
}

/**
 * `type: [string, number]` as `anyOf` of one type each: ajv's strict mode refuses a union of
 * types in one `type` keyword (strictTypes); the two say the same.
 */
function singleTypes(schema: JsonSchema): JsonSchema {
  const types = schema['type'];
  if (!Array.isArray(types)) return schema;
  const { type: _union, ...rest } = schema;
  return { ...rest, anyOf: types.map((type: unknown) => ({ type })) };
}

/** What validators in strict mode and editors take, of what zod writes. */
const strict = (schema: JsonSchema): JsonSchema => singleTypes(standardFormats(schema));

function withoutDialect(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

/**
 * JSON Schemas for editors (yaml-language-server): one for service and worker files, one
 * for environment files, whose overlays (serviceDefaults, workerDefaults, services.<name>)
 * are typed like the files they change. Both pass `ajv --strict`. Published under
 * packages/switchyard/schema/; a test keeps the published files equal to what this produces.
 */
export function jsonSchemas(): { unit: unknown; environment: unknown } {
  const unit = rewrite(toJson(unitSchema), strict) as JsonSchema;
  const environment = rewrite(toJson(environmentSchema), strict) as JsonSchema;
  const service = withoutDialect(rewrite(toJson(serviceSchema), strict) as JsonSchema);
  const worker = withoutDialect(rewrite(toJson(workerSchema), strict) as JsonSchema);
  const properties = environment['properties'] as Record<string, JsonSchema>;
  const described = (name: string, schema: JsonSchema) => ({
    ...schema,
    description: properties[name]?.['description'],
  });
  return {
    unit: { $id: 'https://switchyard.dev/schema/v1/unit.json', ...unit },
    environment: {
      $id: 'https://switchyard.dev/schema/v1/environment.json',
      ...environment,
      properties: {
        ...properties,
        serviceDefaults: described('serviceDefaults', { $ref: '#/$defs/ServiceOverlay' }),
        workerDefaults: described('workerDefaults', { $ref: '#/$defs/WorkerOverlay' }),
        services: described('services', {
          type: 'object',
          propertyNames: (properties['services'] as JsonSchema)['propertyNames'],
          additionalProperties: { anyOf: [{ $ref: '#/$defs/ServiceOverlay' }, { $ref: '#/$defs/WorkerOverlay' }] },
        }),
      },
      $defs: {
        ServiceOverlay: overlayOf(service, 'Service overlay'),
        WorkerOverlay: overlayOf(worker, 'Worker overlay'),
      },
    },
  };
}
