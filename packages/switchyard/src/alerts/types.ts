import type { CheckId, Finding, Severity } from '../health/index.js';

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

/** A place notifications go: the URL is read from the server's environment, never from a file. */
export interface Receiver {
  readonly name: string;
  readonly type: 'slack' | 'webhook';
  /** Name of the environment variable holding the URL (a secret: never logged). */
  readonly urlFrom: string;
}

/** An environment's alerting, resolved: its own rules first, then the built-in ones. */
export interface AlertsConfig {
  readonly rules: readonly AlertRule[];
  /** How often a group still firing is notified again. */
  readonly repeatMs: number;
  readonly receivers: readonly Receiver[];
}

/** What a silence matches: a group's findings of these services and checks (every one where absent). */
export interface SilenceMatchers {
  readonly services?: readonly string[];
  readonly checks?: readonly CheckId[];
}

export interface Silence extends SilenceMatchers {
  readonly id: string;
  readonly environment: string;
  readonly author: string;
  readonly reason: string;
  readonly createdAt: string;
  /** When it stops muting (RFC 3339). */
  readonly expiresAt: string;
  /** When someone expired it early (RFC 3339). */
  readonly expiredAt?: string | null;
  readonly expiredBy?: string | null;
}

/** One message about one group (a service or worker of an environment): it fires, or it resolved. */
export interface Notification {
  readonly status: 'firing' | 'resolved';
  readonly environment: string;
  /** The service or worker the group is about. */
  readonly service: string;
  readonly at: string;
  /** The group's findings that fire, worst first; the ones last notified when it resolved. */
  readonly findings: readonly (Finding & { readonly rule: string })[];
}

/** What the alerts remember of a group they notified. */
export interface GroupState {
  readonly lastSentAt: string;
  /** Keys (findingKey) of the findings last notified. */
  readonly keys: readonly string[];
  readonly findings: Notification['findings'];
}

/** Per group key (environment and service): what was notified. Plain data: survives a JSON round trip. */
export type AlertState = Readonly<Record<string, GroupState>>;
