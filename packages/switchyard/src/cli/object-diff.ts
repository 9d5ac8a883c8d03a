import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import type { KubeObject } from '../render/index.js';

/** What changes to an object, as `kubectl diff` compares it: live (null: created) against as stored (null: pruned). */
export interface ObjectChange {
  readonly key: string;
  readonly before: KubeObject | null;
  readonly after: KubeObject | null;
}

/**
 * Fields the API server or Switchyard's own bookkeeping change on every write: shown, they
 * would bury the fields a person changed. The hash annotation changes with any change, and
 * status is the cluster's, not the configuration's.
 */
const METADATA_NOISE = ['managedFields', 'resourceVersion', 'generation', 'uid', 'creationTimestamp'];
const HASH_ANNOTATION = 'switchyard.dev/applied-hash';

function comparable(object: KubeObject | null): string {
  if (!object) return '';
  const { status: _status, ...rest } = object as KubeObject & { status?: unknown };
  const metadata: Record<string, unknown> = { ...rest.metadata };
  for (const field of METADATA_NOISE) delete metadata[field];
  const annotations = { ...(metadata['annotations'] as Record<string, string> | undefined) };
  delete annotations[HASH_ANNOTATION];
  if (Object.keys(annotations).length > 0) metadata['annotations'] = annotations;
  else delete metadata['annotations'];
  // Sorted keys: the same object always reads the same, whichever side it came from.
  return stringify({ ...rest, metadata }, { sortMapEntries: true, lineWidth: 0 });
}

/**
 * A unified diff per changed object, like `kubectl diff`: `--- live/<Kind>/<name>` against
 * `+++ applied/<Kind>/<name>`, three lines of context. Empty when nothing but bookkeeping changes.
 */
export function objectDiff(changes: readonly ObjectChange[]): string {
  return changes
    .map((c) => {
      const before = comparable(c.before);
      const after = comparable(c.after);
      if (before === after) return '';
      const patch = createTwoFilesPatch(
        c.before ? `live/${c.key}` : '/dev/null',
        c.after ? `applied/${c.key}` : '/dev/null',
        before,
        after,
        undefined,
        undefined,
        { context: 3 },
      );
      // The `Index:`/`===` header jsdiff writes first is not part of a unified diff as git and kubectl show it.
      return patch.replace(/^(Index: .*\n)?=+\n/, '');
    })
    .join('');
}
