import { createHash } from 'node:crypto';
import { parseQuantity } from '@switchyard/worker/units';
import type { KubeObject } from '../../render/index.js';

/**
 * Deciding, without a request, whether a rendered object is already live. A server-side
 * apply of an unchanged object still counts as a write request, so the adapter skips it when
 *  - the live object carries the hash of exactly this rendering (catches fields Switchyard
 *    stopped setting), and
 *  - every field Switchyard sets has that value live (catches drift: kubectl edit/scale).
 */

export const APPLIED_HASH = 'switchyard.dev/applied-hash';

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = canonical(v);
    }
    return out;
  }
  return value;
}

/** Hash of a rendered object as Switchyard applies it (before the hash annotation is added). */
export function renderedHash(object: KubeObject): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(object)))
    .digest('hex')
    .slice(0, 32);
}

/** The object with its hash annotation: what is sent. */
export function withHash(object: KubeObject, hash: string): KubeObject {
  return {
    ...object,
    metadata: { ...object.metadata, annotations: { ...object.metadata.annotations, [APPLIED_HASH]: hash } },
  };
}

function sameScalar(live: unknown, desired: unknown): boolean {
  if (live === desired) return true;
  // The API server writes quantities in canonical form ("1000m" comes back as "1").
  if (typeof live === 'string' && typeof desired === 'string') {
    const a = parseQuantity(live);
    const b = parseQuantity(desired);
    return a !== undefined && b !== undefined && Math.abs(a - b) <= Math.abs(b) * 1e-12;
  }
  return false;
}

/** Zero values the API server leaves out of its answers (Go's omitempty). */
function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === 0 || value === false || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

/** Whether `live` holds every field of `desired` with the same value (extra live fields are defaults). */
export function covers(live: unknown, desired: unknown): boolean {
  if (desired === undefined) return true;
  if (live === undefined || live === null) return isEmpty(desired);
  if (Array.isArray(desired)) {
    return Array.isArray(live) && live.length === desired.length && desired.every((d, i) => covers(live[i], d));
  }
  if (desired !== null && typeof desired === 'object') {
    if (typeof live !== 'object' || Array.isArray(live)) return false;
    return Object.entries(desired).every(([k, v]) => covers((live as Record<string, unknown>)[k], v));
  }
  return sameScalar(live, desired);
}

/** True when applying `desired` (hash annotation included) would change nothing live. */
export function upToDate(live: KubeObject | undefined, desired: KubeObject): boolean {
  if (!live) return false;
  const hash = desired.metadata.annotations?.[APPLIED_HASH];
  if (hash === undefined || live.metadata.annotations?.[APPLIED_HASH] !== hash) return false;
  return covers(live, desired);
}
