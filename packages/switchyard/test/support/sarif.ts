import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import { REPO_ROOT } from './cli.js';

let compiled: ValidateFunction | undefined;

/** The SARIF 2.1.0 schema (test/fixtures, draft-04), compiled once with format checks. */
function sarifSchema(): ValidateFunction {
  if (!compiled) {
    const schema = JSON.parse(
      readFileSync(join(REPO_ROOT, 'packages/switchyard/test/fixtures/sarif-schema-2.1.0.json'), 'utf8'),
    ) as object;
    // CommonJS modules: their class and plugin are the `default` of what ESM imports.
    const ajv = new ajvDraft04.default({ allErrors: true });
    ajvFormats.default(ajv);
    compiled = ajv.compile(schema);
  }
  return compiled;
}

/** ajv's complaints about a SARIF log against the SARIF 2.1.0 schema; empty when it is valid. */
export function sarifSchemaErrors(log: unknown): string[] {
  const validate = sarifSchema();
  return validate(log) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? e.keyword}`);
}
