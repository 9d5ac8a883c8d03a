import type { Command } from 'commander';
import { jsonSchemas } from '../../spec/index.js';

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('Print the JSON Schema of service/worker files (or of environment files) for editors')
    .option('--environment', 'print the environment file schema')
    .action((opts: { environment?: boolean }) => {
      const schemas = jsonSchemas();
      process.stdout.write(`${JSON.stringify(opts.environment ? schemas.environment : schemas.unit, null, 2)}\n`);
    });
}
