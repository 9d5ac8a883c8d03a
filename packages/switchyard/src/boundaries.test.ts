import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../test/support/cli.js';

/**
 * The boundaries the lint enforces, shown failing: a pure folder reaching for the disk or an
 * adapter, and two modules importing each other. The probes are written into the tree for the
 * lint to see them as it sees real code, and removed whatever happens.
 */

const SRC = join(REPO_ROOT, 'packages/switchyard/src');

/**
 * Every probe is on disk before the first lint: the resolver caches what a folder holds, so a
 * probe written after an earlier lint could look absent to it.
 */
const PROBES: Record<string, string> = {
  'spec/zz-boundary-probe.ts': [
    "import { readFileSync } from 'node:fs';",
    "import { openStore } from '../store/index.js';",
    'export const probe = (): unknown => [readFileSync, openStore];',
    '',
  ].join('\n'),
  'zz-cycle-probe/a.ts': "import { b } from './b.js';\nexport const a = (): number => b() + 1;\n",
  'zz-cycle-probe/b.ts':
    "import { a } from './a.js';\nexport const b = (): number => 1;\nexport const c = (): number => a();\n",
};

async function lint(...files: string[]): Promise<{ file: string; rule: string | null; message: string }[]> {
  const results = await new ESLint({ cwd: REPO_ROOT }).lintFiles(files.map((f) => join(SRC, f)));
  return results.flatMap((r) =>
    r.messages.map((m) => ({ file: r.filePath.slice(SRC.length + 1), rule: m.ruleId, message: m.message })),
  );
}

describe('the boundaries of the house', { timeout: 180_000 }, () => {
  beforeAll(() => {
    for (const [file, text] of Object.entries(PROBES)) {
      mkdirSync(join(SRC, file, '..'), { recursive: true });
      writeFileSync(join(SRC, file), text);
    }
  });
  afterAll(() => {
    rmSync(join(SRC, 'spec/zz-boundary-probe.ts'), { force: true });
    rmSync(join(SRC, 'zz-cycle-probe'), { recursive: true, force: true });
  });

  it('keeps effects and adapters out of the pure core', async () => {
    expect(await lint('spec/zz-boundary-probe.ts')).toEqual([
      {
        file: 'spec/zz-boundary-probe.ts',
        rule: 'no-restricted-imports',
        message: expect.stringContaining("'node:fs' import is restricted"),
      },
      {
        file: 'spec/zz-boundary-probe.ts',
        rule: 'no-restricted-imports',
        message: expect.stringContaining('the pure core imports no adapter'),
      },
    ]);
  });

  it('refuses modules that import each other', async () => {
    // Every message is compared, so a parse or resolution failure shows itself instead of an empty list.
    const found = await lint('zz-cycle-probe/a.ts', 'zz-cycle-probe/b.ts');
    expect(found.map((m) => ({ file: m.file, rule: m.rule }))).toEqual([
      { file: 'zz-cycle-probe/a.ts', rule: 'import-x/no-cycle' },
      { file: 'zz-cycle-probe/b.ts', rule: 'import-x/no-cycle' },
    ]);
  });
});
