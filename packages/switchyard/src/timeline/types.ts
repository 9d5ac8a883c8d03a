/** What an entry of the incident timeline is about. */
export const TIMELINE_KINDS = ['release', 'verdict', 'alert', 'silence', 'change', 'runtime'] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

/** One line of the incident timeline. Plain data: the API answers it as is. */
export interface TimelineEntry {
  /** Unique and stable across reads: the order's tie-break and the paging cursor's anchor. */
  readonly id: string;
  /** RFC 3339. */
  readonly at: string;
  readonly kind: TimelineKind;
  /** The service or worker; null for what concerns the whole environment. */
  readonly service: string | null;
  /** A person's or token's name, or `switchyard` for what the server decided itself. */
  readonly who: string;
  /** One line a person reads. */
  readonly text: string;
  /** What to look up: a release id, a commit, an alert group (environment/service), a silence id. */
  readonly ref: string | null;
}

/** The window a timeline covers: from `since` (included) to `until` (excluded). */
export interface TimelineWindow {
  readonly since: Date;
  readonly until: Date;
}

/** A release event as the store keeps it: the release's state right after it (null before it was kept). */
export interface ReleaseEventInput {
  readonly seq: number;
  readonly releaseId: string;
  readonly at: Date;
  readonly type: string;
  readonly payload: unknown;
  readonly state: unknown;
}

/** A notification of the alert history. */
export interface AlertInput {
  readonly id: string;
  readonly status: 'firing' | 'resolved';
  readonly service: string;
  readonly environment: string;
  readonly at: string;
  readonly findings: readonly { readonly check: string; readonly part: string; readonly severity: string }[];
  readonly deliveries: readonly {
    readonly receiver: string;
    readonly deliveredAt: string | null;
    readonly droppedAt: string | null;
  }[];
}

/** A silence as the timeline reads it: times as RFC 3339 text, matchers absent when they match everything. */
export interface SilenceInput {
  readonly id: string;
  readonly services?: readonly string[];
  readonly checks?: readonly string[];
  readonly author: string;
  readonly reason: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly expiredAt: string | null;
  readonly expiredBy: string | null;
}

export interface AuditInput {
  readonly seq: number;
  readonly at: Date;
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly outcome: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly reason: string | null;
}

export interface RuntimeInput {
  readonly seq: number;
  readonly at: Date;
  readonly type: string;
  readonly service: string;
  readonly text: string;
}
