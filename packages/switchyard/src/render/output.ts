import { stringify } from 'yaml';
import type { KubeObject } from './objects.js';
import type { RenderedUnit } from './render.js';

/** Deterministic YAML: keys sorted at every depth, long text as literal blocks. */
export function toYaml(object: unknown): string {
  return stringify(object, { sortMapEntries: true, lineWidth: 0, blockQuote: 'literal', aliasDuplicateObjects: false });
}

export function objectFileName(object: KubeObject): string {
  return `${object.kind.toLowerCase()}-${object.metadata.name}.yaml`;
}

/** Every object of every unit as one multi-document YAML stream. */
export function toYamlStream(units: readonly RenderedUnit[]): string {
  return units.flatMap((u) => u.objects.map((o) => `---\n${toYaml(o)}`)).join('');
}

/** `<unit>/<kind>-<name>.yaml` → content. */
export function toFiles(units: readonly RenderedUnit[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const unit of units) {
    for (const object of unit.objects) files.set(`${unit.unit.name}/${objectFileName(object)}`, toYaml(object));
  }
  return files;
}
