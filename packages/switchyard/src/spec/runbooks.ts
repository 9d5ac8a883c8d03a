import type { Issue } from '../errors/index.js';
import { CHECKS, DEFAULT_RULES } from './alerting.js';
import type { Fleet } from './model.js';
import { closest } from './words.js';

/**
 * Runbooks: markdown files of the configuration repository, `runbooks/<alert>.md`, where the
 * alert is a health check id or the name of one of the environments' own alert rules.
 */
export const RUNBOOKS_DIR = 'runbooks';

/** What a runbook may be called: a check id or a rule name (lowercase words joined by dashes), never a path. */
export const RUNBOOK_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** The alerts a runbook can be for: every health check, and every rule of the environments' own (built-in rules left out). */
export function runbookAlerts(fleets: readonly Pick<Fleet, 'environment'>[]): string[] {
  const builtIn = new Set(DEFAULT_RULES.map((r) => r.name));
  const rules = fleets.flatMap((f) => f.environment.alerts.rules.map((r) => r.name)).filter((n) => !builtIn.has(n));
  return [...new Set<string>([...CHECKS, ...rules])].sort();
}

/** Problems with the files of runbooks/ (names relative to it): each must be `<alert>.md` for a known alert. */
export function runbookIssues(files: readonly string[], alerts: readonly string[]): Issue[] {
  return [...files].sort().flatMap((name): Issue[] => {
    const file = `${RUNBOOKS_DIR}/${name}`;
    if (!name.endsWith('.md'))
      return [
        {
          code: 'runbook_not_markdown',
          file,
          message: `${file} is not a markdown file (<alert>.md)`,
          hint: `Rename it to <alert>.md, move it out of ${RUNBOOKS_DIR}/, or start its name with a dot to keep it there unread.`,
        },
      ];
    const alert = name.slice(0, -'.md'.length);
    if (alerts.includes(alert)) return [];
    const near = closest(alert, alerts);
    return [
      {
        code: 'runbook_unknown',
        file,
        message: `${file} is the runbook of ${alert}, which is no health check and no alert rule of an environment`,
        hint: `${near ? `Did you mean ${near}? Rename it to ${RUNBOOKS_DIR}/${near}.md. ` : ''}A runbook is named after a check (${CHECKS.join(', ')}) or the name of a rule under alerts.rules of an environment file.`,
      },
    ];
  });
}
