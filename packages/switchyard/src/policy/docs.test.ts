import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../test/support/cli.js';
import { RULES } from './index.js';

/** docs/policy keeps one page per rule, in step with the rules: SARIF's helpUri and the README point there. */

const DIR = join(REPO_ROOT, 'docs/policy');
const SECTIONS = ['## What', '## Why', '## How to fix', '## How to exempt'];

describe('docs/policy', () => {
  it('has a page for every rule and none for a rule that is gone', () => {
    const pages = readdirSync(DIR)
      .filter((f) => f !== 'README.md')
      .map((f) => f.replace(/\.md$/, ''));
    expect(pages.sort()).toEqual(RULES.map((r) => r.id).sort());
  });

  for (const rule of RULES) {
    it(`${rule.id}: its title and severity, then what, why, how to fix and how to exempt`, () => {
      const page = readFileSync(join(DIR, `${rule.id}.md`), 'utf8');
      expect(page.startsWith(`# ${rule.id}\n\n**${rule.title}.**\n\nSeverity: ${rule.severity}. `)).toBe(true);
      expect([...page.matchAll(/^##? .*$/gm)].map((m) => m[0])).toEqual([`# ${rule.id}`, ...SECTIONS]);
      const exempt = page.slice(page.indexOf('## How to exempt'));
      expect(exempt).toContain(`policy:\n  exempt:\n    ${rule.id}: "`);
    });
  }

  it('lists every rule with its severity and title in its index', () => {
    const index = readFileSync(join(DIR, 'README.md'), 'utf8');
    const rows = [...index.matchAll(/^\| \[([a-z-]+)\]\(([a-z-]+)\.md\) \| (\w+) \| (.+) \|$/gm)];
    expect(rows.map((m) => [m[1], m[2], m[3], m[4]])).toEqual(RULES.map((r) => [r.id, r.id, r.severity, r.title]));
  });
});
