export { firingFindings, groupKey, silenceActive, silenceMatches, step, type AlertInput } from './engine.js';
export {
  alertmanagerAlerts,
  mailMessage,
  mailSubject,
  runbookLink,
  serviceLink,
  slackBody,
  titleOf,
  webhookBody,
  type PostableAlert,
} from './payloads.js';
export { DEFAULT_REPEAT_MS, DEFAULT_RULES, ruleFor, ruleMatches } from './rules.js';
export type {
  AlertRule,
  AlertsConfig,
  AlertState,
  GroupState,
  Notification,
  Receiver,
  Silence,
  SilenceMatchers,
} from './types.js';
export { Alerter, type AlerterOptions } from './alerter.js';
export type { AlertNotifier, FailingReceiver } from './notifier.js';
export { Outbox, type OutboxOptions } from './outbox.js';
export {
  FINDING_METRIC,
  prometheusRules,
  prometheusRulesYaml,
  promDuration,
  type PrometheusRule,
  type PrometheusRuleFile,
} from './prometheus-rules.js';
export type { AlertJournal, WaitingNotification } from './journal.js';
