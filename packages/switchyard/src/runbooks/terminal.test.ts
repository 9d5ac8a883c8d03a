import { describe, expect, it } from 'vitest';
import { runbookForTerminal } from './terminal.js';

describe('a runbook on a terminal', () => {
  const markdown = '# leftovers: objects\n\n## What to do\n\nRun:\n\n```sh\nkill 42\n```\n- a point\n';

  it('underlines headings, drops code fences and indents the code', () => {
    expect(runbookForTerminal(markdown, false)).toBe(
      [
        'LEFTOVERS: OBJECTS',
        '══════════════════',
        '',
        'What to do',
        '──────────',
        '',
        'Run:',
        '',
        '    kill 42',
        '- a point',
        '',
      ].join('\n'),
    );
  });

  it('makes headings bold only when styled', () => {
    expect(runbookForTerminal('# a\n', true)).toBe('\u001b[1mA\u001b[22m\n═\n');
    expect(runbookForTerminal('# a\n', false)).not.toContain('\u001b');
  });
});
