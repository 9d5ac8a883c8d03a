import { Option, type Command } from 'commander';
import { join } from 'node:path';
import { SwitchyardError } from '../../errors/index.js';
import { renderFleet, toFiles, toYamlStream } from '../../render/index.js';
import { writeTree } from '../write-tree.js';
import { loadOneFleet, selectUnits } from '../fleet.js';
import { serialise } from '../output.js';

/** `-o` names a format, as kubectl's; a directory there (what `-o` once meant) is answered with --out-dir. */
function renderFormat(text: string): 'json' | 'yaml' {
  if (text === 'json' || text === 'yaml') return text;
  throw new SwitchyardError('SWY_CLI_USAGE', {
    message: `render -o takes json or yaml, not ${text}`,
    hint: `To write one file per object under a directory, use --out-dir ${text}.`,
  });
}

export function registerRender(program: Command): void {
  program
    .command('render')
    .description('Render the Kubernetes objects and router configuration of every service for one environment')
    .argument('<config-dir>', 'directory holding services/ and environments/')
    .requiredOption('-e, --env <env>', 'environment to render')
    .option('-o, --output <format>', 'print to stdout as yaml (a multi-document stream) or json (a List)', renderFormat)
    .option('--out-dir <dir>', 'write one file per object under <dir>/<env>/<service>/ instead of printing')
    .addOption(new Option('--out <dir>', 'deprecated: use --out-dir').hideHelp())
    .option('-s, --service <name...>', 'render only these services')
    .action(
      async (
        dir: string,
        opts: { env: string; output?: 'json' | 'yaml'; outDir?: string; out?: string; service?: string[] },
      ) => {
        if (opts.out) process.stderr.write('warning: --out is deprecated; use --out-dir\n');
        const outDir = opts.outDir ?? opts.out;
        if (outDir && opts.output)
          throw new SwitchyardError('SWY_CLI_USAGE', {
            message: 'render prints (-o) or writes files (--out-dir), not both',
          });
        const fleet = selectUnits(await loadOneFleet(dir, opts.env), opts.service);
        const rendered = renderFleet(fleet);
        if (!outDir) {
          process.stdout.write(
            opts.output === 'json'
              ? serialise('json', { apiVersion: 'v1', kind: 'List', items: rendered.flatMap((u) => u.objects) })
              : toYamlStream(rendered),
          );
          return;
        }
        const target = join(outDir, opts.env);
        const files = toFiles(rendered);
        await writeTree(target, files);
        process.stderr.write(`✔ rendered ${files.size} objects of ${rendered.length} services to ${target}\n`);
      },
    );
}
