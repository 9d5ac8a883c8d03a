import type { CheckId, Finding } from '../health/index.js';

export type { AlertRule, AlertsConfig, Receiver } from '../spec/alerting.js';

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
  /**
   * Of a group that still fires: findings as last notified that no longer fire so — cleared, or
   * now of another severity (the same check and part is in `findings` then).
   */
  readonly ended?: readonly (Finding & { readonly rule: string })[];
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
