import { Argument, type Command } from 'commander';
import { VERSION } from '../../version.js';
import { API_OPTION, apiTarget, ENV_OPTION } from '../client.js';
import { completionScript, SHELLS, type Shell } from '../completion.js';
import { printData, withOutput, type OutputFlags } from '../output.js';

/** How long `version` waits for a server before saying it did not answer. */
const SERVER_WAIT_MS = 3000;

interface ServerVersion {
  readonly address: string;
  readonly version: string;
  readonly environments: readonly string[];
}

/** The server's version from /healthz (no token needed), or why there is none. */
async function serverVersion(address: string): Promise<ServerVersion | { address: string; error: string }> {
  try {
    const response = await fetch(`${address}/healthz`, { signal: AbortSignal.timeout(SERVER_WAIT_MS) });
    const body = (await response.json()) as { version?: string; environments?: string[] };
    if (!response.ok || typeof body.version !== 'string')
      return { address, error: `answered ${response.status} without a version` };
    return { address, version: body.version, environments: body.environments ?? [] };
  } catch (err) {
    const cause = (err as Error & { cause?: { code?: string } }).cause?.code;
    return { address, error: cause ?? (err as Error).message };
  }
}

export function registerMeta(program: Command): void {
  withOutput(
    program
      .command('version')
      .description("Print this CLI's version and, when its API answers, the server's")
      .option(...API_OPTION)
      .option(...ENV_OPTION),
  ).action(async (opts: { api?: string; env?: string } & OutputFlags) => {
    const server = await serverVersion(apiTarget(opts).address);
    if (printData(opts, { client: { version: VERSION }, server })) return;
    process.stdout.write(`client: ${VERSION}\n`);
    if ('version' in server)
      process.stdout.write(
        `server: ${server.version} at ${server.address} (${server.environments.join(', ') || 'no environment'})\n`,
      );
    else process.stdout.write(`server: did not answer at ${server.address} (${server.error})\n`);
  });

  program
    .command('completion')
    .description('Print the shell completion script for bash, zsh or fish (generated from these commands)')
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(SHELLS))
    .action((shell: Shell) => {
      process.stdout.write(completionScript(program, shell));
    });
}
