import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SwitchyardError, type Issue } from '../errors/index.js';
import { RUNBOOK_NAME, RUNBOOKS_DIR, runbookAlerts, runbookIssues, type Fleet } from '../spec/index.js';

/** The runbooks shipped with the product, one per health check: `packages/switchyard/runbooks/` (the package's `runbooks/`). */
export const DEFAULT_RUNBOOKS = fileURLToPath(new URL('../../runbooks/', import.meta.url));

export interface Runbook {
  /** The check or rule it is for. */
  readonly alert: string;
  /** `config`: the configuration repository's `runbooks/<alert>.md`; `default`: the one shipped with Switchyard. */
  readonly source: 'config' | 'default';
  /** The file read: relative to the configuration directory, or the shipped default's path. */
  readonly file: string;
  readonly markdown: string;
}

async function text(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw err;
  }
}

function notFound(alert: string, alerts: readonly string[], why: string): SwitchyardError {
  return new SwitchyardError('SWY_RUNBOOK_NOT_FOUND', {
    message: `There is no runbook ${alert}: ${why}`,
    hint: `Use one of: ${alerts.join(', ')}; for a rule of your own, add ${RUNBOOKS_DIR}/<rule>.md to the configuration repository.`,
    details: { alert },
  });
}

/**
 * The runbook of an alert: the configuration directory's `runbooks/<alert>.md` when it has one,
 * else the shipped default. `alerts` are the names a runbook may have (runbookAlerts).
 */
export async function readRunbook(
  alert: string,
  options: { readonly configDir?: string; readonly alerts: readonly string[] },
): Promise<Runbook> {
  if (!RUNBOOK_NAME.test(alert) || !options.alerts.includes(alert))
    throw notFound(alert, options.alerts, 'it is no health check and no alert rule of the environment');
  const file = `${RUNBOOKS_DIR}/${alert}.md`;
  if (options.configDir !== undefined) {
    const own = await text(join(options.configDir, file));
    if (own !== undefined) return { alert, source: 'config', file, markdown: own };
  }
  const path = join(DEFAULT_RUNBOOKS, `${alert}.md`);
  const shipped = await text(path);
  if (shipped !== undefined) return { alert, source: 'default', file: path, markdown: shipped };
  throw notFound(alert, options.alerts, `the configuration repository has no ${file} and Switchyard ships none for it`);
}

/** The runbook for a finding fired by a rule: the rule's own when the repository has one, else the check's. */
export async function findingRunbook(
  check: string,
  rule: string | undefined,
  options: { readonly configDir?: string; readonly alerts: readonly string[] },
): Promise<Runbook> {
  if (
    rule !== undefined &&
    options.configDir !== undefined &&
    options.alerts.includes(rule) &&
    RUNBOOK_NAME.test(rule)
  ) {
    const own = await text(join(options.configDir, RUNBOOKS_DIR, `${rule}.md`));
    if (own !== undefined) return { alert: rule, source: 'config', file: `${RUNBOOKS_DIR}/${rule}.md`, markdown: own };
  }
  return readRunbook(check, options);
}

/** Problems with the configuration directory's runbooks/ against the alerts of `fleets` (none when it has no runbooks/). */
export async function runbookProblems(dir: string, fleets: readonly Pick<Fleet, 'environment'>[]): Promise<Issue[]> {
  let names: string[];
  try {
    names = (await readdir(join(dir, RUNBOOKS_DIR))).filter((n) => !n.startsWith('.'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    if (code === 'ENOTDIR')
      return [
        {
          code: 'not_a_directory',
          file: RUNBOOKS_DIR,
          message: `${RUNBOOKS_DIR} is a file; it must be a directory of <alert>.md files`,
          hint: `Move it out of the way and keep runbooks as ${RUNBOOKS_DIR}/<alert>.md.`,
        },
      ];
    throw err;
  }
  return runbookIssues(names, runbookAlerts(fleets));
}

/** Throws SWY_SPEC_INVALID listing every problem of runbooks/. */
export async function checkRunbooks(dir: string, fleets: readonly Pick<Fleet, 'environment'>[]): Promise<void> {
  const issues = await runbookProblems(dir, fleets);
  if (issues.length === 0) return;
  throw new SwitchyardError('SWY_SPEC_INVALID', {
    message: `The runbooks in ${join(dir, RUNBOOKS_DIR)} are invalid (${issues.length} problem${issues.length === 1 ? '' : 's'})`,
    issues,
  });
}
