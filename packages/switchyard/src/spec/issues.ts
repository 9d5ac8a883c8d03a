import type { z } from 'zod';
import type { Issue } from '../errors/index.js';
import { layerFor, type Layer } from './overlay.js';
import { closest } from './words.js';
import type { DocPath } from './source.js';

/** Turns schema failures into issues that name the file, the line, the path and the fix. */
export function issuesFromZod(error: z.ZodError, input: unknown, layers: readonly Layer[], schema: z.ZodType): Issue[] {
  const out: Issue[] = [];
  for (const raw of error.issues) {
    const path = raw.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (raw.code === 'unrecognized_keys') {
      const allowed = allowedKeys(schema, path);
      const fix = `Remove it or fix its spelling${allowed.length > 0 ? `; allowed here: ${allowed.join(', ')}` : ''}.`;
      for (const key of raw.keys) {
        const suggestion = closest(key, allowed);
        out.push(
          at(
            layers,
            [...path, key],
            {
              code: 'unknown_key',
              message: `unknown key "${key}"`,
              hint: `${suggestion ? `Did you mean "${suggestion}"? ` : ''}${fix}`,
            },
            true,
          ),
        );
      }
      continue;
    }
    out.push(at(layers, path, describe(raw, valueAt(input, path), path)));
  }
  return out;
}

/** Appends one list to another; `push(...more)` overflows the stack past about 100,000 items, which one large file can hold. */
export function append<T>(target: T[], more: readonly T[]): void {
  for (const item of more) target.push(item);
}

/** Where a field is written: the file of the layer that set it, the path there, its line and column. */
export interface Place {
  readonly file: string;
  readonly path: string;
  readonly line: number;
  readonly column: number;
}

/** The place of `path` in the layer that set it; the nearest written ancestor when no layer wrote it. */
export function placeOf(layers: readonly Layer[], path: DocPath, key = false): Place | undefined {
  const layer = layerFor(layers, path);
  if (!layer) return undefined;
  const location = layer.source.locate([...layer.prefix, ...path], { key });
  return {
    file: layer.source.file,
    path: [...layer.prefix, ...path].join('.') || path.join('.'),
    line: location.line,
    column: location.column,
  };
}

/** Places an issue at the file and line of the layer that set `path`. */
export function at(
  layers: readonly Layer[],
  path: DocPath,
  issue: { code: string; message: string; hint?: string },
  key = false,
): Issue {
  const place = placeOf(layers, path, key);
  return place ? { ...issue, ...place } : { ...issue, path: path.join('.') };
}

function describe(
  raw: z.core.$ZodIssue,
  value: unknown,
  path: DocPath,
): { code: string; message: string; hint?: string } {
  const field = path.length > 0 ? String(path[path.length - 1]) : 'the document';
  if (
    value === undefined &&
    (raw.code === 'invalid_type' || raw.code === 'invalid_union' || raw.code === 'invalid_value')
  ) {
    const hint =
      field === 'kind'
        ? 'Add kind: Service (an HTTP service) or kind: Worker (a queue worker).'
        : `Add ${field}: to this mapping.`;
    return { code: 'required', message: `${field} is required`, hint };
  }
  switch (raw.code) {
    case 'invalid_type':
      return {
        code: 'invalid_type',
        message: `${field} must be ${article(raw.expected)} (got ${typeName(value)})`,
        hint: `Write ${field} as ${article(raw.expected)}.`,
      };
    case 'too_small':
      return {
        code: 'too_small',
        message: `${field} ${raw.message}`,
        hint:
          raw.origin === 'array' || raw.origin === 'string'
            ? `Give ${field} at least ${String(raw.minimum)} ${raw.origin === 'array' ? 'item(s)' : 'character(s)'}.`
            : `Raise ${field} to at least ${String(raw.minimum)}.`,
      };
    case 'too_big':
      return {
        code: 'too_big',
        message: `${field} ${raw.message}`,
        hint: `Lower ${field} to at most ${String(raw.maximum)}.`,
      };
    case 'invalid_value':
      return {
        code: 'invalid_value',
        message: `${field} must be one of ${raw.values.map((v) => JSON.stringify(v)).join(', ')} (got ${JSON.stringify(value)})`,
        hint: `Use one of the allowed values.`,
      };
    case 'invalid_key': {
      const inner = raw.issues[0]?.message ?? 'is not a valid name';
      return { code: 'invalid_key', message: `"${field}" ${inner}`, hint: 'Rename this key.' };
    }
    case 'invalid_union': {
      const note = (raw as { note?: string }).note;
      if (note === 'No matching discriminator' && field !== 'kind')
        return {
          code: 'invalid_value',
          message: `${raw.message} (got ${JSON.stringify(value)})`,
          hint: `Set ${field} to one of the allowed values.`,
        };
      if (note === 'No matching discriminator') {
        return {
          code: 'invalid_kind',
          message: `kind must be Service or Worker (got ${JSON.stringify(value)})`,
          hint: 'Set kind: Service for an HTTP service routed by HAProxy, kind: Worker for a queue worker.',
        };
      }
      return {
        code: 'invalid_value',
        message: `${field} ${raw.message === 'Invalid input' ? `has the wrong type (got ${typeName(value)})` : raw.message}`,
        hint: 'See the JSON Schema (switchyard schema) for the accepted forms.',
      };
    }
    case 'custom': {
      const params = (raw as { params?: { code?: string; hint?: string } }).params;
      if (params?.hint)
        return { code: params.code ?? 'invalid_value', message: `${field} ${raw.message}`, hint: params.hint };
      return {
        code: raw.code,
        message: `${field} ${raw.message}${value === undefined ? '' : ` (got ${JSON.stringify(value)})`}`,
      };
    }
    case 'invalid_format':
      return {
        code: 'invalid_format',
        message: `${field} ${raw.message.startsWith('must') ? raw.message : `is malformed: ${raw.message}`} (got ${JSON.stringify(value)})`,
      };
    default:
      return {
        code: raw.code,
        message: `${field} ${raw.message}${value === undefined ? '' : ` (got ${JSON.stringify(value)})`}`,
      };
  }
}

function article(type: string): string {
  if (type === 'object') return 'a mapping';
  if (type === 'array') return 'a list';
  if (type === 'int') return 'a whole number';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the text ${JSON.stringify(value)}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

function valueAt(input: unknown, path: DocPath): unknown {
  let current: unknown = input;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[String(segment)];
  }
  return current;
}

type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  valueType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
};

function def(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let i = 0; i < 20; i++) {
    const d = def(current);
    const next = d.innerType ?? (d.type === 'pipe' ? d.in : undefined);
    if (!next) return current;
    current = next;
  }
  return current;
}

/** The keys a mapping at `path` accepts, read from the schema itself. */
export function allowedKeys(schema: z.ZodType, path: DocPath): string[] {
  const candidates = schemasAt([schema], path);
  const keys = new Set<string>();
  for (const s of candidates) {
    const d = def(unwrap(s));
    if (d.type === 'object' && d.shape) for (const k of Object.keys(d.shape)) keys.add(k);
  }
  return [...keys].sort();
}

function schemasAt(schemas: z.ZodType[], path: DocPath): z.ZodType[] {
  let current = schemas.flatMap(expand);
  for (const segment of path) {
    const next: z.ZodType[] = [];
    for (const s of current) {
      const d = def(s);
      if (d.type === 'object' && d.shape) {
        const child = d.shape[String(segment)];
        if (child) next.push(child);
      } else if (d.type === 'record' && d.valueType) next.push(d.valueType);
      else if (d.type === 'array' && d.element) next.push(d.element);
    }
    current = next.flatMap(expand);
  }
  return current;
}

function expand(schema: z.ZodType): z.ZodType[] {
  const inner = unwrap(schema);
  const d = def(inner);
  if (d.type === 'union' && d.options) return d.options.flatMap(expand);
  return [inner];
}
