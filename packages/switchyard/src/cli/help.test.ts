import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { commandPath, EXAMPLES } from './examples.js';
import { wantsColour } from './format.js';
import { serialise, wantsJson } from './output.js';
import { buildProgram } from './program.js';

function everyCommand(command: Command): Command[] {
  return [command, ...command.commands.flatMap(everyCommand)];
}

/** What `switchyard <path> --help` prints, without a process. */
function helpOf(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  command.outputHelp();
  return text;
}

const program = buildProgram();
const commands = everyCommand(program);

describe('every command of the CLI', () => {
  it.each(commands.map((c) => [commandPath(c) || 'switchyard', c] as const))(
    '%s has an Examples section in its help, each a switchyard command line',
    (_, command) => {
      const help = helpOf(command);
      expect(help).toMatch(/\nExamples:\n {2}# \S.*\n {2}.*switchyard /);
      for (const [, line] of EXAMPLES[commandPath(command)] ?? []) expect(line).toMatch(/switchyard /);
    },
  );

  it('has no examples for a command that does not exist', () => {
    const paths = new Set(commands.map(commandPath));
    expect(Object.keys(EXAMPLES).filter((p) => !paths.has(p))).toEqual([]);
  });

  it('takes -o, --output wherever it prints data, and no --json in its help', () => {
    const printers = commands.filter(
      (c) => c.commands.length === 0 && !['up', 'server', 'completion'].includes(c.name()),
    );
    const withoutOutput = printers
      .filter((c) => !c.parent?.name().startsWith('sandbox') && c.parent?.name() !== 'sandbox')
      .filter((c) => !['revoke', 'recover'].includes(c.name()))
      .filter((c) => !c.options.some((o) => o.long === '--output' && o.short === '-o'))
      .map(commandPath);
    expect(withoutOutput).toEqual([]);
    for (const c of commands) expect(helpOf(c)).not.toMatch(/--json|--format/);
  });
});

describe('output formats', () => {
  it('tells a machine-readable command line from one for people', () => {
    expect(wantsJson(['status', '-o', 'json'])).toBe(true);
    expect(wantsJson(['status', '--output=json'])).toBe(true);
    expect(wantsJson(['status', '-ojson'])).toBe(true);
    expect(wantsJson(['status', '--json'])).toBe(true);
    expect(wantsJson(['check', 'dir', '--format', 'json'])).toBe(true);
    expect(wantsJson(['status', '-o', 'wide'])).toBe(false);
    expect(wantsJson(['status', '-o', 'yaml'])).toBe(false);
  });

  it('serialises the same data as JSON or YAML', () => {
    const data = { release: 'r1', stages: ['internal', 'free'], approval: null };
    expect(serialise('json', data)).toBe(
      '{\n  "release": "r1",\n  "stages": [\n    "internal",\n    "free"\n  ],\n  "approval": null\n}\n',
    );
    expect(serialise('yaml', data)).toBe('release: r1\nstages:\n  - internal\n  - free\napproval: null\n');
  });
});

describe('colour', () => {
  it.each([
    [{}, true, true],
    [{}, false, false],
    [{ NO_COLOR: '1' }, true, false],
    [{ FORCE_COLOR: '1' }, false, true],
    [{ FORCE_COLOR: '' }, false, true],
    [{ FORCE_COLOR: '0' }, true, false],
    [{ FORCE_COLOR: 'false' }, true, false],
    [{ FORCE_COLOR: '1', NO_COLOR: '1' }, false, true],
  ] as const)('env %j, terminal %s: colour %s', (env, tty, colour) => {
    expect(wantsColour({ isTTY: tty }, env)).toBe(colour);
  });
});
