import type { Command } from 'commander';
import { join } from 'node:path';
import { renderFleet, toFiles, toYamlStream } from '../../render/index.js';
import { writeTree } from '../write-tree.js';
import { loadOneFleet, selectUnits } from '../fleet.js';

export function registerRender(program: Command): void {
  program
    .command('render')
    .description('Render the Kubernetes objects and router configuration of every service for one environment')
    .argument('<config-dir>', 'directory holding services/ and environments/')
    .requiredOption('-e, --env <env>', 'environment to render')
    .option('-o, --out <dir>', 'write one file per object under <dir>/<env>/<service>/ (default: YAML on stdout)')
    .option('-s, --service <name...>', 'render only these services')
    .action(async (dir: string, opts: { env: string; out?: string; service?: string[] }) => {
      const fleet = selectUnits(await loadOneFleet(dir, opts.env), opts.service);
      const rendered = renderFleet(fleet);
      if (!opts.out) {
        process.stdout.write(toYamlStream(rendered));
        return;
      }
      const target = join(opts.out, opts.env);
      const files = toFiles(rendered);
      await writeTree(target, files);
      process.stderr.write(`✔ rendered ${files.size} objects of ${rendered.length} services to ${target}\n`);
    });
}
