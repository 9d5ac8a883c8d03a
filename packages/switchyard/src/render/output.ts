import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { SwitchyardError } from '../errors/index.js';
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

/**
 * Writes `files` so that `target` holds exactly them, or is left untouched: everything is
 * written beside it first and swapped in with renames.
 */
export async function writeTree(target: string, files: ReadonlyMap<string, string>): Promise<void> {
  const staging = `${target}.tmp-${process.pid}`;
  const previous = `${target}.old-${process.pid}`;
  try {
    await rm(staging, { recursive: true, force: true });
    for (const [path, content] of files) {
      const full = join(staging, path);
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, content);
    }
    await mkdir(staging, { recursive: true });
    await mkdir(dirname(target), { recursive: true });
    const hadPrevious = await rename(target, previous).then(() => true, (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return false;
      throw err;
    });
    await rename(staging, target);
    if (hadPrevious) await rm(previous, { recursive: true, force: true });
  } catch (err) {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw new SwitchyardError('SWY_RENDER_OUTPUT', { message: `The rendered objects could not be written to ${target}: ${(err as Error).message}`, cause: err });
  }
}
