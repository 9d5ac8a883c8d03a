import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../test/support/cli.js';
import { loadFleet, readConfig } from '../config-dir/index.js';
import { parseConfig, resolveAll, resolveFleet } from '../spec/index.js';
import { renderFleet, toYamlStream } from './index.js';

/**
 * Golden files: the example fleet rendered for each environment. A change to rendering
 * shows up as a diff of these files; refresh them with UPDATE_GOLDEN=1 and review the diff.
 */
const EXAMPLE = join(REPO_ROOT, 'examples/video-platform');
const GOLDEN = join(REPO_ROOT, 'test/golden');

describe('golden rendering of the example fleet', async () => {
  const fleets = resolveAll(await readConfig(EXAMPLE));

  it('has the three example environments', () => {
    expect(fleets.map((f) => f.environment.name)).toEqual(['production', 'sandbox', 'staging']);
  });

  for (const fleet of fleets) {
    it(`renders ${fleet.environment.name} exactly as test/golden/${fleet.environment.name}.yaml`, () => {
      const text = toYamlStream(renderFleet(fleet));
      const file = join(GOLDEN, `${fleet.environment.name}.yaml`);
      if (process.env.UPDATE_GOLDEN === '1') {
        mkdirSync(GOLDEN, { recursive: true });
        writeFileSync(file, text);
      }
      expect(
        existsSync(file),
        `${file} is missing: run UPDATE_GOLDEN=1 npx vitest run --project unit render/golden`,
      ).toBe(true);
      expect(text).toBe(readFileSync(file, 'utf8'));
      const docs = parseAllDocuments(text);
      expect(Array.isArray(docs) && docs.every((d) => d.errors.length === 0)).toBe(true);
    });
  }

  it('renders byte-identical output on every run', async () => {
    const again = await loadFleet(EXAMPLE, 'production');
    const first = toYamlStream(renderFleet(fleets[0]!));
    expect(toYamlStream(renderFleet(again))).toBe(first);
  });

  it('does not depend on the order of keys in the service files', async () => {
    const files = await readConfig(EXAMPLE);
    const texts: Record<string, string> = {};
    for (const source of [...files.units, ...files.environments]) {
      const doc = parseDocument(readFileSync(join(EXAMPLE, source.file), 'utf8'));
      const reversed = Object.fromEntries(Object.entries(doc.toJS() as Record<string, unknown>).reverse());
      texts[source.file] = JSON.stringify(reversed);
    }
    const shuffled = resolveFleet(parseConfig(EXAMPLE, texts), 'production');
    expect(toYamlStream(renderFleet(shuffled))).toBe(toYamlStream(renderFleet(fleets[0]!)));
  });
});
