#!/usr/bin/env node
// Writes docs/errors.md from the error catalogue (run after adding a code; a test checks
// that every code has its anchor). Needs a build: scripts/bootstrap.
import { writeFileSync } from 'node:fs';
import { catalogue, EXIT, EXIT_MEANINGS } from '../packages/switchyard/dist/errors/index.js';

let out =
  '# Error codes\n\nEvery error Switchyard reports carries one of these codes, in the CLI output (`error SWY_…`) and in API responses (`{"error": {"code": …}}`). Each has an HTTP status for the API and an exit code for the CLI.\n';
out +=
  '\n## Exit codes\n\nEvery command exits with one of these codes; each has one meaning.\n\n| code | meaning |\n| --- | --- |\n';
for (const [name, code] of Object.entries(EXIT)) out += `| ${code} | ${EXIT_MEANINGS[name]} |\n`;
for (const [code, e] of Object.entries(catalogue)) {
  out += `\n## ${code}\n\n${e.message}. HTTP ${e.status}, exit code ${e.exit}.\n\n**What to do:** ${e.hint}\n`;
}
writeFileSync(new URL('../docs/errors.md', import.meta.url), out);
