import type { Command } from 'commander';
import { jsonSchemas } from '../../spec/index.js';
import { serialise, withOutput, type OutputFlags } from '../output.js';

export function registerSchema(program: Command): void {
  withOutput(
    program
      .command('schema')
      .description('Print the JSON Schema of service/worker files (or of environment files) for editors')
      .option('--environment', 'print the environment file schema'),
  ).action((opts: { environment?: boolean } & OutputFlags) => {
    const schemas = jsonSchemas();
    process.stdout.write(
      serialise(opts.output === 'yaml' ? 'yaml' : 'json', opts.environment ? schemas.environment : schemas.unit),
    );
  });
}
