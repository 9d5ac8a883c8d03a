import { Option, type Command } from 'commander';
import { stringify } from 'yaml';
import { SwitchyardError } from '../errors/index.js';

/** What `-o, --output` takes, as kubectl: data for programs (json, yaml) or a wider table for people. */
export type OutputFormat = 'json' | 'yaml' | 'wide';

export interface OutputFlags {
  readonly output?: string;
}

/** Data for a program: JSON with two-space indentation, or YAML; the same keys either way. */
export function serialise(format: 'json' | 'yaml', data: unknown): string {
  return format === 'yaml' ? stringify(data, { lineWidth: 0 }) : `${JSON.stringify(data, null, 2)}\n`;
}

/** Prints `data` for a program when -o json|yaml asked for it; returns false when a person reads the output. */
export function printData(opts: OutputFlags, data: unknown): boolean {
  if (opts.output !== 'json' && opts.output !== 'yaml') return false;
  process.stdout.write(serialise(opts.output, data));
  return true;
}

/**
 * `-o, --output <format>` on a command, and `--json` kept as a hidden alias of `-o json` that
 * says once, on stderr, what to write instead (scripts keep working; stdout stays clean).
 */
export function withOutput(command: Command, formats: readonly string[] = ['json', 'yaml']): Command {
  command
    .addOption(new Option('-o, --output <format>', 'output format').choices(formats))
    .addOption(new Option('--json', 'deprecated: use -o json').hideHelp())
    .hook('preAction', (_command, action) => {
      if (!action.getOptionValue('json')) return;
      if (action.getOptionValue('output') === undefined) action.setOptionValue('output', 'json');
      process.stderr.write(`warning: --json is deprecated; use -o json (switchyard ${action.name()} -o json)\n`);
    });
  return command;
}

/** Whether a command line asked for machine-readable output: errors then go to stdout as JSON too. */
export function wantsJson(argv: readonly string[]): boolean {
  return argv.some(
    (a, i) =>
      a === '--json' ||
      a === '-ojson' ||
      a === '--output=json' ||
      a === '--format=json' ||
      (['-o', '--output', '-f', '--format'].includes(a) && argv[i + 1] === 'json'),
  );
}

/** A format some commands do not take, refused with what they do take. */
export function unsupported(command: string, format: string, formats: readonly string[]): SwitchyardError {
  return new SwitchyardError('SWY_CLI_USAGE', {
    message: `${command} does not print -o ${format}`,
    hint: `Use one of: ${formats.join(', ')}.`,
  });
}
