import type { Command } from 'commander';
import { readRunbook, runbookForTerminal } from '../../runbooks/index.js';
import { runbookAlerts } from '../../spec/index.js';
import { API_OPTION, apiTarget, callApi, ENV_OPTION } from '../client.js';
import { loadFleets } from '../fleet.js';
import { printData, withOutput, type OutputFlags } from '../output.js';

interface RunbookFlags extends OutputFlags {
  readonly api?: string;
  readonly env?: string;
}

/** A runbook as the command shows it: what the API answers, or the same read from a directory. */
interface Shown {
  readonly alert: string;
  readonly source: 'config' | 'default';
  readonly file: string | null;
  readonly commit?: string | null;
  readonly markdown: string;
}

async function fromDirectory(alert: string, dir: string, env: string | undefined): Promise<Shown> {
  const fleets = await loadFleets(dir, env);
  const runbook = await readRunbook(alert, { configDir: dir, alerts: runbookAlerts(fleets) });
  return { ...runbook, file: runbook.source === 'config' ? runbook.file : null };
}

function origin(shown: Shown): string {
  if (shown.source === 'default')
    return 'the runbook shipped with Switchyard (add runbooks/<alert>.md to the configuration repository to replace it)';
  return `${shown.file} of the configuration${shown.commit ? ` at commit ${shown.commit.slice(0, 12)}` : ''}`;
}

export function registerRunbook(program: Command): void {
  withOutput(
    program
      .command('runbook')
      .description(
        "An alert's runbook: what it means, how to confirm it, what to do, when to escalate — the configuration repository's runbooks/<alert>.md, else the one shipped with Switchyard",
      )
      .argument('<alert>', 'a health check id (track-endpoints, leftovers…) or an alert rule of the environment')
      .argument('[config-dir]', 'read it from this configuration directory instead of asking the API')
      .option(...API_OPTION)
      .option(...ENV_OPTION),
  ).action(async (alert: string, dir: string | undefined, opts: RunbookFlags) => {
    const shown =
      dir !== undefined
        ? await fromDirectory(alert, dir, opts.env)
        : await callApi<Shown>(apiTarget(opts), 'GET', `/v1/runbooks/${encodeURIComponent(alert)}`);
    if (printData(opts, shown)) return;
    process.stdout.write(runbookForTerminal(shown.markdown, process.stdout.isTTY === true));
    process.stdout.write(`\n— ${origin(shown)}\n`);
  });
}
