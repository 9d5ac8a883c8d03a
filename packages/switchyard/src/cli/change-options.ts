import type { Command } from 'commander';

export interface ChangeOptions {
  readonly reason?: string;
  readonly overrideFreeze?: boolean;
}

/** Why, and whether an admin overrides a freeze: the fields every live change carries. */
export function changeFields(opts: ChangeOptions): { reason?: string; overrideFreeze?: true } {
  return {
    ...(opts.reason ? { reason: opts.reason } : {}),
    ...(opts.overrideFreeze ? { overrideFreeze: true as const } : {}),
  };
}

/** --reason and --override-freeze on a command that changes what users get. */
export function withChangeOptions(command: Command): Command {
  return command
    .option('--reason <text>', 'why: kept in the audit log and the config repository')
    .option('--override-freeze', 'act during a freeze window (admins, with --reason)');
}
