import { existsSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Option, type Command } from 'commander';
import { gitWorkTree, readConfig } from '../../config-dir/index.js';
import { SwitchyardError, EXIT } from '../../errors/index.js';
import {
  FORMATS,
  RULES,
  findRule,
  formatReports,
  runPolicy,
  worstSeverity,
  type Format,
  type FormatOptions,
} from '../../policy/index.js';
import { renderFleet } from '../../render/index.js';
import { locateFields, resolveAll, resolveFleet } from '../../spec/index.js';
import { selectUnits } from '../fleet.js';

/** docs/policy of the checkout this CLI runs from (src/ or dist/ alike), when it is there. */
function policyDocs(): string | undefined {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '../../../../../docs/policy');
  return existsSync(dir) ? pathToFileURL(`${dir}/`).href : undefined;
}

/**
 * What SARIF paths are relative to: the git work tree holding the configuration, so that code
 * scanning finds the files in the repository; outside git, the current directory.
 */
async function sourceRoot(dir: string): Promise<NonNullable<FormatOptions['sourceRoot']>> {
  const config = await realpath(dir);
  const root = (await gitWorkTree(config)) ?? (await realpath(process.cwd()));
  const path = relative(root, config).split(sep).join('/');
  return { uri: pathToFileURL(`${root}/`).href, dir: path ? `${path}/` : '' };
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('Run policy rules on the rendered objects (every environment, or --env); exit code = worst severity')
    .argument('[config-dir]', 'directory holding services/ and environments/')
    .option('-e, --env <env>', 'check one environment only')
    .option('-s, --service <name...>', 'check only these services')
    .addOption(new Option('-o, --output <format>', 'output format').choices(FORMATS).default('human'))
    .addOption(new Option('-f, --format <format>', 'deprecated: use -o').choices(FORMATS).hideHelp())
    .addOption(
      new Option('--fail-on <severity>', 'lowest severity that fails the command')
        .choices(['error', 'warning'])
        .default('warning'),
    )
    .option('--rule <id...>', 'run only these rules')
    .option('--list-rules', 'list every rule and exit')
    .action(
      async (
        dir: string | undefined,
        opts: {
          env?: string;
          service?: string[];
          output: Format;
          format?: Format;
          failOn: 'error' | 'warning';
          rule?: string[];
          listRules?: boolean;
        },
      ) => {
        if (opts.format) process.stderr.write(`warning: --format is deprecated; use -o ${opts.format}\n`);
        const format = opts.format ?? opts.output;
        if (opts.listRules) {
          for (const rule of RULES)
            process.stdout.write(`${rule.id.padEnd(28)} ${rule.severity.padEnd(8)} ${rule.title}\n`);
          return;
        }
        if (!dir)
          throw new SwitchyardError('SWY_CLI_USAGE', {
            message: 'check needs a configuration directory',
            hint: 'Run `switchyard check <config-dir> [--env <env>]`.',
          });
        const rules = (opts.rule ?? []).map((id) => {
          const rule = findRule(id);
          if (!rule)
            throw new SwitchyardError('SWY_POLICY_UNKNOWN_RULE', {
              message: `The policy rule ${id} does not exist`,
              details: { rule: id },
            });
          return rule;
        });
        const files = await readConfig(dir);
        const fleets = opts.env ? [resolveFleet(files, opts.env)] : resolveAll(files);
        const reports = fleets.map((fleet) => {
          const objects = renderFleet(selectUnits(fleet, opts.service)).flatMap((u) => u.objects);
          return runPolicy(
            fleet.environment.name,
            fleet.environment.runtime,
            objects,
            rules.length > 0 ? rules : RULES,
            locateFields(files, fleet.environment.name),
          );
        });
        const docs = policyDocs();
        process.stdout.write(
          formatReports(reports, format, {
            failOn: opts.failOn,
            ...(format === 'sarif' ? { sourceRoot: await sourceRoot(dir) } : {}),
            ...(docs ? { docs } : {}),
          }),
        );
        const worst = worstSeverity(reports.flatMap((r) => r.findings));
        if (worst === 'error') process.exitCode = EXIT.policyError;
        else if (worst === 'warning' && opts.failOn === 'warning') process.exitCode = EXIT.policyWarning;
      },
    );
}
