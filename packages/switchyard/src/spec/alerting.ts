/**
 * The words alerting shares with the environment file: the health checks and severities a
 * rule can name, and the built-in rules. They live here, below health and alerts, so the
 * environment file can be checked against them.
 */

/** How bad a finding is, worst first: critical (users are hurt or about to be), warning (one more failure away), info. */
export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Every check, by its stable id: what the API, the CLI, the metrics, the docs and alert rules call it. */
export const CHECKS = [
  'router-replicas',
  'track-endpoints',
  'track-version',
  'track-over-replicated',
  'leftovers',
  'release-stuck',
  'release-gate-failing',
  'release-rolled-back',
  'release-failed',
  'worker-replicas',
  'worker-backlog-age',
  'worker-dead-letters',
  'worker-escalation-stuck',
  'worker-task-kills',
  'broker-unreachable',
  'notifier-failing',
] as const;
export type CheckId = (typeof CHECKS)[number];

/** Which findings a rule takes, and how long one must hold before it fires. */
export interface AlertRule {
  readonly name: string;
  /** The checks it takes; every check when absent. */
  readonly checks?: readonly CheckId[];
  /** The least severity it takes: `warning` takes warnings and critical findings. */
  readonly severity: Severity;
  /** The services and workers it takes; every one when absent. */
  readonly services?: readonly string[];
  /** How long a finding must hold (since it was first seen) before it fires. */
  readonly forMs: number;
}

export const RECEIVER_TYPES = ['slack', 'webhook', 'email', 'alertmanager'] as const;
export type ReceiverType = (typeof RECEIVER_TYPES)[number];

/**
 * A place notifications go. Its URL (a webhook, an SMTP server, an Alertmanager) is read from
 * the server's environment, never from a file: it may hold a secret.
 */
export type Receiver =
  | {
      readonly name: string;
      readonly type: 'slack' | 'webhook' | 'alertmanager';
      /** Name of the environment variable holding the URL (a secret: never logged). */
      readonly urlFrom: string;
    }
  | {
      readonly name: string;
      readonly type: 'email';
      /** Name of the environment variable holding the SMTP server's URL (smtp:// or smtps://, a secret). */
      readonly urlFrom: string;
      /** The addresses each message goes to. */
      readonly to: readonly string[];
      /** The sender: an address, or `Name <address>`. */
      readonly from: string;
    };

/** An environment's alerting, resolved: its own rules first, then the built-in ones. */
export interface AlertsConfig {
  readonly rules: readonly AlertRule[];
  /** How often a group still firing is notified again. */
  readonly repeatMs: number;
  readonly receivers: readonly Receiver[];
  /** The API (or console) URL people open: messages link to the service there. */
  readonly url?: string;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/**
 * A release that ended badly fires at once (it happened; waiting says nothing more); other
 * critical findings after 30 s, warnings after 5 min; info never notifies.
 */
export const DEFAULT_RULES: readonly AlertRule[] = [
  { name: 'releases', checks: ['release-rolled-back', 'release-failed'], severity: 'warning', forMs: 0 },
  { name: 'critical', severity: 'critical', forMs: 30 * SECOND },
  { name: 'warning', severity: 'warning', forMs: 5 * MINUTE },
];

/** A group still firing is told again after this long. */
export const DEFAULT_REPEAT = '4h';

export const DEFAULT_ALERTS: AlertsConfig = { rules: DEFAULT_RULES, repeatMs: 4 * 60 * MINUTE, receivers: [] };
