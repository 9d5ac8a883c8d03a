import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../test/support/cli.js';
import { jsonSchemas } from './json-schema.js';

/** A validator as `ajv --strict` builds one: unknown keywords, formats and loose types are errors, not warnings. */
function strictValidator(schema: unknown) {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  ajvFormats.default(ajv);
  return ajv.compile(schema as object);
}

const EXAMPLE = join(REPO_ROOT, 'examples/video-platform');
const yamlOf = (file: string) => parse(readFileSync(join(EXAMPLE, file), 'utf8')) as Record<string, unknown>;

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

  it('compile under ajv in strict mode, and take the example fleet', () => {
    const unit = strictValidator(schemas.unit);
    const environment = strictValidator(schemas.environment);
    for (const file of [
      'services/api-gateway.yaml',
      'services/catalog-api.yaml',
      'services/encoding-worker.yaml',
      'services/thumbnail.yaml',
      'services/user-preferences-api.yaml',
    ]) {
      expect(unit(yamlOf(file)), `${file}: ${JSON.stringify(unit.errors)}`).toBe(true);
    }
    for (const file of ['environments/production.yaml', 'environments/staging.yaml', 'environments/sandbox.yaml']) {
      expect(environment(yamlOf(file)), `${file}: ${JSON.stringify(environment.errors)}`).toBe(true);
    }
  });

  it('type environment overlays: a typo inside one is flagged, a well-formed one passes', () => {
    const environment = strictValidator(schemas.environment);
    const env = (extra: Record<string, unknown>) => ({
      apiVersion: 'switchyard.dev/v1',
      kind: 'Environment',
      name: 'staging',
      ...extra,
    });
    const good = env({
      serviceDefaults: { nodePool: { capacity: 'spot' } },
      workerDefaults: { scaling: { keda: true } },
      services: {
        'catalog-api': { tracks: { production: { replicas: 3 } }, runAs: { user: 2000 } },
        'encoding-worker': { normal: { replicas: { max: 8 } } },
      },
    });
    expect(environment(good), JSON.stringify(environment.errors)).toBe(true);
    for (const typo of [
      { services: { 'catalog-api': { tracks: { production: { replicsa: 3 } } } } },
      { services: { 'catalog-api': { resoures: { cpu: '1' } } } },
      { serviceDefaults: { nodePool: { capacty: 'spot' } } },
      { workerDefaults: { scalling: { keda: true } } },
      { services: { 'catalog-api': { kind: 'Worker' } } },
    ]) {
      expect(environment(env(typo)), JSON.stringify(typo)).toBe(false);
    }
  });
});
