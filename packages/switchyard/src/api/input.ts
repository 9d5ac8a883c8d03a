import { z } from 'zod';
import { SwitchyardError } from '../errors/index.js';
import { groupName, resourceName, trackName, versionTag } from '../spec/index.js';

/**
 * What the API accepts from a caller, bounded and free of control characters before any of it
 * reaches HAProxy, git, the store or a log line.
 */

/** C0 controls and DEL: a NUL breaks the store, a newline forges a commit trailer or a log line. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROLS = /[\u0000-\u001f\u007f]/g;

export const MAX_REASON = 500;

/** Free text (a reason, a filter) on one line, at most `max` characters. */
export function freeText(max: number) {
  return z
    .string()
    .max(max, { error: `must be at most ${max} characters` })
    .refine((s) => !CONTROL.test(s), { error: 'must be one line of text without control characters' });
}

export const reason = freeText(MAX_REASON).meta({
  description: `Why, for the audit log and the config repository (one line, at most ${MAX_REASON} characters)`,
});

export const serviceName = resourceName;
export { versionTag };
export { groupName, trackName };

export const releaseId = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, { error: 'must be a release id (a UUID)' });

export const planName = z
  .string()
  .max(63, { error: 'must be at most 63 characters' })
  .regex(/^[a-z0-9][-a-z0-9]*$/, { error: 'must be a plan name: lowercase letters, digits and dashes' });

/** Admins only, with a reason: act during a freeze window. */
export const overrideFreeze = z
  .boolean()
  .optional()
  .meta({ description: 'Admins only, with a reason of at least 10 characters: act during a freeze window' });

/** Where in a request the first control character sits, if any: refused before any schema runs. */
export function findControlCharacter(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return CONTROL.test(value) ? path : undefined;
  if (depth > 32 || value === null || typeof value !== 'object') return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const at = `${path}.${key}`;
    if (CONTROL.test(key)) return at;
    const found = findControlCharacter(inner, at, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** Throws SWY_API_BAD_REQUEST when a NUL byte or another control character hides in the path, query or body. */
export function refuseControlCharacters(parts: Readonly<Record<string, unknown>>): void {
  for (const [name, value] of Object.entries(parts)) {
    const at = findControlCharacter(value, name);
    if (at) {
      throw new SwitchyardError('SWY_API_BAD_REQUEST', {
        message: `The request holds a control character (a NUL byte, a newline…) in ${at}`,
        hint: 'Send one line of plain text in every field; names, versions and reasons never hold control characters.',
        details: { field: at },
      });
    }
  }
}

/**
 * A copy of a request value fit for the audit log: strings cut at 200 characters with their
 * control characters spelled out, at most 50 keys per object and 8 levels.
 */
export function forTheRecord(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') {
    const shown = value.length > 200 ? `${value.slice(0, 200)}… (${value.length} characters)` : value;
    return shown.replace(CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= 8) return '…';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => forTheRecord(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value)
      .slice(0, 50)
      .map(([k, v]) => [forTheRecord(k, depth + 1) as string, forTheRecord(v, depth + 1)]),
  );
}
