import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../test/support/cli.js';
import { CHECKS } from './types.js';

describe('docs/health.md', () => {
  it('describes every check, and no check that does not exist', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs/health.md'), 'utf8');
    const documented = [...doc.matchAll(/^\| `([a-z-]+)` \|/gm)]
      .map((m) => m[1])
      .filter((c) => !c?.startsWith('switchyard_'));
    expect(documented.sort()).toEqual([...CHECKS].sort());
  });
});
