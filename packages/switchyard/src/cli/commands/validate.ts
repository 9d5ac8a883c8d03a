import type { Command } from 'commander';
import { checkRunbooks } from '../../runbooks/index.js';
import { loadFleets } from '../fleet.js';
import { printData, withOutput, type OutputFlags } from '../output.js';

export function registerValidate(program: Command): void {
  withOutput(
    program
      .command('validate')
      .description('Check service, worker and environment files (every environment, or --env)')
      .argument('<config-dir>', 'directory holding services/ and environments/')
      .option('-e, --env <env>', 'validate for one environment only'),
  ).action(async (dir: string, opts: { env?: string } & OutputFlags) => {
    const fleets = await loadFleets(dir, opts.env);
    // Runbooks are named after checks and rules: judged against every environment's rules, not only --env's.
    await checkRunbooks(dir, opts.env ? await loadFleets(dir, undefined) : fleets);
    const summary = fleets.map((f) => ({
      environment: f.environment.name,
      runtime: f.environment.runtime,
      units: f.units.map((u) => ({ name: u.name, kind: u.kind })),
    }));
    if (printData(opts, { valid: true, environments: summary })) return;
    for (const fleet of fleets) {
      const services = fleet.units.filter((u) => u.kind === 'Service').length;
      const workers = fleet.units.length - services;
      process.stdout.write(
        `✔ ${fleet.environment.name} (${fleet.environment.runtime}): ${services} service${services === 1 ? '' : 's'}, ${workers} worker${workers === 1 ? '' : 's'} valid\n`,
      );
    }
  });
}
