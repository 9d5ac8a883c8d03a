import { SEVERITIES, type Finding, type Severity } from '../health/index.js';
import { DEFAULT_ALERTS, type AlertRule } from '../spec/alerting.js';

export { DEFAULT_RULES } from '../spec/alerting.js';

/** A group still firing is told again after 4 h. */
export const DEFAULT_REPEAT_MS = DEFAULT_ALERTS.repeatMs;

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
