import { SEVERITIES, type Finding, type Severity } from '../health/index.js';
import type { AlertRule } from './types.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Critical findings fire after 30 s, warnings after 5 min; info never notifies. */
export const DEFAULT_RULES: readonly AlertRule[] = [
  { name: 'critical', severity: 'critical', forMs: 30 * SECOND },
  { name: 'warning', severity: 'warning', forMs: 5 * MINUTE },
];

/** A group still firing is told again after 4 h. */
export const DEFAULT_REPEAT_MS = 4 * HOUR;

const rank = (s: Severity) => SEVERITIES.indexOf(s);

/** Whether the rule takes the finding: its check, at least its severity, its service. */
export function ruleMatches(rule: AlertRule, finding: Pick<Finding, 'check' | 'severity' | 'unit'>): boolean {
  return (
    rank(finding.severity) <= rank(rule.severity) &&
    (rule.checks === undefined || rule.checks.includes(finding.check)) &&
    (rule.services === undefined || rule.services.includes(finding.unit))
  );
}

/** The first rule that takes the finding: an environment's own rules come before the built-in ones. */
export function ruleFor(rules: readonly AlertRule[], finding: Pick<Finding, 'check' | 'severity' | 'unit'>) {
  return rules.find((r) => ruleMatches(r, finding));
}
