import { Command, CommanderError } from 'commander';
import { SwitchyardError } from '../errors/index.js';
import { VERSION } from '../version.js';
import { registerAlerts } from './commands/alerts.js';
import { registerApply } from './commands/apply.js';
import { registerCheck } from './commands/check.js';
import { registerHealth } from './commands/health.js';
import { registerMeta } from './commands/meta.js';
import { registerRelease } from './commands/release.js';
import { registerRender } from './commands/render.js';
import { registerRunbook } from './commands/runbook.js';
import { registerSandbox } from './commands/sandbox.js';
import { registerSchema } from './commands/schema.js';
import { registerSilence } from './commands/silence.js';
import { registerTimeline } from './commands/timeline.js';
import { registerToken } from './commands/token.js';
import { registerTraffic } from './commands/traffic.js';
import { registerServer } from './commands/server.js';
import { registerUp } from './commands/up.js';
import { registerValidate } from './commands/validate.js';
import { registerWorkers } from './commands/workers.js';
import { registerSchedule } from './commands/schedule.js';
import { addExamples } from './examples.js';
import { reportError } from './format.js';
import { wantsJson } from './output.js';

export function buildProgram(): Command {
  const program = new Command('switchyard')
    .description(
      'Ship many times a day without fear: staged canary releases, HAProxy routing, queue workers, capacity and cost.',
    )
    .version(VERSION)
    // `--version` after a subcommand belongs to it (`track … --version 1.5.0`).
    .enablePositionalOptions()
    .showHelpAfterError(false)
    .configureOutput({ outputError: () => undefined })
    .exitOverride();
  registerValidate(program);
  registerRender(program);
  registerCheck(program);
  registerSchema(program);
  registerUp(program);
  registerServer(program);
  registerTraffic(program);
  registerHealth(program);
  registerRunbook(program);
  registerRelease(program);
  registerWorkers(program);
  registerSchedule(program);
  registerApply(program);
  registerSandbox(program);
  registerToken(program);
  registerSilence(program);
  registerAlerts(program);
  registerTimeline(program);
  registerMeta(program);
  addExamples(program);
  return program;
}

/** Runs one command line; returns the process exit code. */
export async function run(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
        return 0;
      return reportError(new SwitchyardError('SWY_CLI_USAGE', { message: err.message.replace(/^error: /, '') }), false);
    }
    return reportError(err, wantsJson(argv));
  }
}
