import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../test/support/cli.js';

/**
 * The boundaries the lint enforces, shown failing: a pure folder reaching for the disk or an
 * adapter, and two modules importing each other. The probes are written into the tree for the
 * lint to see them as it sees real code, and removed whatever happens.
 */

const SRC = join(REPO_ROOT, 'packages/switchyard/src');

async function lint(files: Record<string, string>): Promise<{ file: string; rule: string | null; message: string }[]> {
  const paths = Object.keys(files).map((f) => join(SRC, f));
  try {
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(join(SRC, file, '..'), { recursive: true });
      writeFileSync(join(SRC, file), text);
    }
    const results = await new ESLint({ cwd: REPO_ROOT }).lintFiles(paths);
    return results.flatMap((r) =>
      r.messages.map((m) => ({ file: r.filePath.slice(SRC.length + 1), rule: m.ruleId, message: m.message })),
    );
  } finally {
    for (const path of paths) rmSync(path, { force: true });
  }
}

describe('the boundaries of the house', { timeout: 180_000 }, () => {
  it('keeps effects and adapters out of the pure core', async () => {
    const found = await lint({
      'spec/zz-boundary-probe.ts': [
        "import { readFileSync } from 'node:fs';",
        "import { openStore } from '../store/index.js';",
        'export const probe = (): unknown => [readFileSync, openStore];',
        '',
      ].join('\n'),
    });
    expect(found).toEqual([
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
    const dir = join(SRC, 'zz-cycle-probe');
    try {
      const found = await lint({
        'zz-cycle-probe/a.ts': "import { b } from './b.js';\nexport const a = (): number => b() + 1;\n",
        'zz-cycle-probe/b.ts':
          "import { a } from './a.js';\nexport const b = (): number => 1;\nexport const c = (): number => a();\n",
      });
      expect(
        found
          .filter((m) => m.rule === 'import-x/no-cycle')
          .map((m) => m.file)
          .sort(),
      ).toEqual(['zz-cycle-probe/a.ts', 'zz-cycle-probe/b.ts']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
