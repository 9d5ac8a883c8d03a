import type { DocPath, SourceFile } from './source.js';

/** One layer of a unit's description: the service file, or an environment's overlay of it. */
export interface Layer {
  readonly source: SourceFile;
  /** Where this layer's value sits inside its file (e.g. `services.catalog-api`). */
  readonly prefix: DocPath;
  readonly value: Record<string, unknown>;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Deep-merges layers in order: mappings merge key by key, anything else (lists included)
 * is replaced by the later layer. Tracks and groups are mappings, so an overlay can change
 * one track's replicas without restating the others.
 */
export function mergeLayers(layers: readonly Layer[]): Record<string, unknown> {
  let merged: Record<string, unknown> = {};
  for (const layer of layers) merged = mergeValue(merged, layer.value) as Record<string, unknown>;
  return merged;
}

function mergeValue(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = mergeValue(base[key], value);
  return out;
}

/**
 * Which layer a path of the merged value came from: the last layer that set the path or
 * one of its ancestors as a non-mapping. Problems are reported in that file.
 */
export function layerFor(layers: readonly Layer[], path: DocPath): Layer | undefined {
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i] as Layer;
    if (i === 0) return layer;
    if (sets(layer.value, path)) return layer;
  }
  return undefined;
}

function sets(value: unknown, path: DocPath): boolean {
  let current: unknown = value;
  for (const segment of path) {
    if (!isPlainObject(current)) return Array.isArray(current);
    if (!(String(segment) in current)) return false;
    current = current[String(segment)];
  }
  return true;
}
