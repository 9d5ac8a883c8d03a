import type { Command } from 'commander';
import { prometheusRules, prometheusRulesYaml } from '../../alerts/index.js';
import { loadOneFleet } from '../fleet.js';
import { serialise, withOutput, type OutputFlags } from '../output.js';

/** `switchyard alerts rules`: an environment's alert rules for teams that run Prometheus and Alertmanager. */
export function registerAlerts(program: Command): void {
  const alerts = program
    .command('alerts')
    .description("An environment's alert rules: export them for Prometheus (rules)");

  withOutput(
    alerts
      .command('rules')
      .description(
        "Print a Prometheus alerting-rules file equivalent to the environment's alert rules, over the /metrics health gauges",
      )
      .argument('<config-dir>', 'directory holding services/ and environments/')
      .requiredOption('-e, --env <env>', 'environment whose rules to export'),
    ['yaml', 'json'],
  ).action(async (dir: string, opts: { env: string } & OutputFlags) => {
    const { environment } = await loadOneFleet(dir, opts.env);
    process.stdout.write(
      opts.output === 'json'
        ? serialise('json', prometheusRules(environment.name, environment.alerts))
        : prometheusRulesYaml(environment.name, environment.alerts),
    );
  });
}
