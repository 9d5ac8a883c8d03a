import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../test/support/cli.js';

/**
 * docs/settings.md names every environment variable the product reads: the packages' sources,
 * the `./switchyard` wrapper and scripts/. A variable read and not documented fails here.
 */

const PAGE = 'docs/settings.md';

const names = (matches: Iterable<RegExpMatchArray>): string[] =>
  [...new Set([...matches].map((m) => m[1] as string))].sort();

/** Names a TypeScript source reads: `SWITCHYARD_*` wherever it is named, `env.NAME`, `env['NAME']`. */
function tsVariables(text: string): string[] {
  return names([
    ...text.matchAll(/\b(SWITCHYARD_[A-Z0-9_]+)/g),
    ...text.matchAll(/\benv\.([A-Z][A-Z0-9_]*)\b/g),
    ...text.matchAll(/\benv\[['"]([A-Z][A-Z0-9_]*)['"]\]/g),
  ]);
}

/** Names a shell script reads: `$SWITCHYARD_*`, `${SWITCHYARD_*…}`, and the XDG directories. */
function shellVariables(text: string): string[] {
  return names(text.matchAll(/\$\{?((?:SWITCHYARD|XDG)_[A-Z0-9_]+)/g));
}

function productSources(): { file: string; names: string[] }[] {
  const packages = readdirSync(join(REPO_ROOT, 'packages')).flatMap((pkg) =>
    readdirSync(join(REPO_ROOT, 'packages', pkg, 'src'), { recursive: true })
      .map((f) => join('packages', pkg, 'src', String(f)))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.itest.ts')),
  );
  const scripts = ['switchyard', ...readdirSync(join(REPO_ROOT, 'scripts')).map((f) => join('scripts', f))];
  const read = (f: string) => readFileSync(join(REPO_ROOT, f), 'utf8');
  return [
    ...packages.map((file) => ({ file, names: tsVariables(read(file)) })),
    ...scripts.map((file) => ({
      file,
      names: file.endsWith('.mjs') ? tsVariables(read(file)) : shellVariables(read(file)),
    })),
  ];
}

describe('the settings page', () => {
  it('finds what a source reads, however it reads it', () => {
    const ts = [
      "const url = process.env.SWITCHYARD_WEBHOOK_URL ?? '';",
      "const git = process.env['SWITCHYARD_GIT_BIN'];",
      'const home = env.HOME ?? env.USERPROFILE;',
      "const vars = { queue: text('SWITCHYARD_QUEUE') };",
      'const lower = env.notAVariable;',
    ].join('\n');
    expect(tsVariables(ts)).toEqual([
      'HOME',
      'SWITCHYARD_GIT_BIN',
      'SWITCHYARD_QUEUE',
      'SWITCHYARD_WEBHOOK_URL',
      'USERPROFILE',
    ]);
    const shell =
      'x="${SWITCHYARD_RUN:-/tmp/switchyard}"; [ -z "$SWITCHYARD_AMQP_URL" ]; c=${XDG_CACHE_HOME:-$HOME}; $PATH';
    expect(shellVariables(shell)).toEqual(['SWITCHYARD_AMQP_URL', 'SWITCHYARD_RUN', 'XDG_CACHE_HOME']);
  });

  it('documents every environment variable the product reads', () => {
    const page = readFileSync(join(REPO_ROOT, PAGE), 'utf8');
    const sources = productSources();
    const read = new Set(sources.flatMap((s) => s.names));
    // The wrapper's and the CLI's own reads are among them: the scan covers what it should.
    expect([...read]).toEqual(
      expect.arrayContaining([
        'SWITCHYARD_WEBHOOK_URL',
        'SWITCHYARD_LOG_LEVEL',
        'SWITCHYARD_HAPROXY_BIN',
        'KUBECONFIG',
      ]),
    );
    const missing = [...read]
      .filter((name) => !page.includes(`\`${name}\``))
      .sort()
      .map((name) => `${name} (read in ${sources.find((s) => s.names.includes(name))?.file})`);
    expect(missing, `add these to ${PAGE}`).toEqual([]);
  });

  it('is linked from the README', () => {
    expect(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')).toContain(`(${PAGE})`);
  });
});
