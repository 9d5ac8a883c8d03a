import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../test/support/cli.js';
import { jsonSchemas } from './json-schema.js';

/** The JSON Schemas editors use are published in the package; they must match the schema in code. */
const DIR = join(REPO_ROOT, 'packages/switchyard/schema');

describe('published JSON Schemas', () => {
  const schemas = jsonSchemas();
  for (const [name, schema] of Object.entries({ unit: schemas.unit, environment: schemas.environment })) {
    it(`schema/${name}.schema.json is up to date`, () => {
      const file = join(DIR, `${name}.schema.json`);
      const text = `${JSON.stringify(schema, null, 2)}\n`;
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, text);
      expect(readFileSync(file, 'utf8')).toBe(text);
    });
  }

  it('describes the fields editors complete', () => {
    const text = JSON.stringify(schemas.unit);
    for (const field of [
      'tracks',
      'traffic',
      'groupHeader',
      'userKey',
      'legacy',
      'autoscaling',
      'nodePool',
      'fallback',
      'queue',
    ])
      expect(text).toContain(`"${field}"`);
    expect(text).toContain('"additionalProperties":false');
  });
});
