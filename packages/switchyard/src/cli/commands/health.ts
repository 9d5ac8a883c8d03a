import type { Command } from 'commander';
import { EXIT } from '../../errors/index.js';
import { describeHealth, type HealthReport, type Worst } from '../../health/index.js';
import { API_OPTION, apiTarget, callApi, ENV_OPTION, type ApiTarget } from '../client.js';
import { serialise, withOutput, type OutputFlags } from '../output.js';
import { watchPicture } from '../watch.js';
import { WATCH_INTERVAL_MS } from './traffic.js';

/** The exit code of `health`: 0 when nothing worse than info was found. */
export function healthExit(worst: Worst): number {
  if (worst === 'critical') return EXIT.healthCritical;
  if (worst === 'warning') return EXIT.healthWarning;
  return EXIT.ok;
}

interface HealthFlags extends OutputFlags {
  readonly watch?: boolean;
  readonly api?: string;
  readonly env?: string;
}

function healthOf(api: ApiTarget, unit: string | undefined): Promise<HealthReport> {
  return callApi<HealthReport>(api, 'GET', unit ? `/v1/health/${encodeURIComponent(unit)}` : '/v1/health');
}

export function registerHealth(program: Command): void {
  withOutput(
    program
      .command('health')
      .description(
        `The environment's health at a glance: the worst severity, then each finding with what to do; ` +
          `exits ${EXIT.ok} when healthy, ${EXIT.healthWarning} on a warning, ${EXIT.healthCritical} on a critical finding`,
      )
      .argument('[service]', 'only this service or worker')
      .option('-w, --watch', 'print again whenever something changes, until Ctrl-C')
      .option(...API_OPTION)
      .option(...ENV_OPTION),
  ).action(async (unit: string | undefined, opts: HealthFlags) => {
    const api = apiTarget(opts);
    const text = (report: HealthReport) =>
      opts.output === 'json' || opts.output === 'yaml' ? serialise(opts.output, report) : describeHealth(report);
    if (opts.watch) await watchPicture(async () => text(await healthOf(api, unit)), opts.output, WATCH_INTERVAL_MS);
    const report = await healthOf(api, unit);
    process.stdout.write(text(report));
    process.exitCode = healthExit(report.worst);
  });
}
