#!/usr/bin/env node
/**
 * Prints what `switchyard up <args>` needs on this machine, one component a line (`haproxy`,
 * `git`, `rabbitmq`), so the `./switchyard` wrapper installs and starts exactly that. The
 * command line is parsed by the `up` command itself, so options and their values are never
 * mistaken for the configuration directory. Prints nothing when `up` would not start (help,
 * a usage error, an invalid configuration): the CLI itself then says why.
 */
import type { Unit } from '../spec/index.js';
import { buildProgram } from './program.js';
import { pickLocalFleet } from './commands/up.js';

/** The local runtime drives HAProxy, the config repository is git; workers need a broker. */
function componentsFor(units: readonly Unit[]): string[] {
  return ['haproxy', 'git', ...(units.some((u) => u.kind === 'Worker') ? ['rabbitmq'] : [])];
}

async function upNeeds(argv: readonly string[]): Promise<string[]> {
  if (argv[0] !== 'up') return [];
  const program = buildProgram();
  const up = program.commands.find((c) => c.name() === 'up');
  if (!up) return [];
  let needs: string[] = [];
  const silent = (): void => undefined;
  up.configureOutput({ writeOut: silent, writeErr: silent, outputError: silent }).action(
    async (dir: string, opts: { env?: string }) => {
      needs = componentsFor((await pickLocalFleet(dir, opts.env)).units);
    },
  );
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch {
    return [];
  }
  return needs;
}

for (const component of await upNeeds(process.argv.slice(2))) process.stdout.write(`${component}\n`);
