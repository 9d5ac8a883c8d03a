import { listAudit, type AuditRecord } from './audit.js';
import { silenceColumns, silenceFromRow, type SilenceRecord, type SilenceRow } from './silences.js';
import type { SqlClient } from './sql.js';

/** A window of time, from `since` (included) to `until` (excluded), and optionally one service. */
export interface StoreWindow {
  readonly since: Date;
  readonly until: Date;
  readonly service?: string;
  /** Rows read at most, per source (default 5000). */
  readonly limit?: number;
}

/** A release event in a window, with what the timeline says of its release. */
export interface WindowReleaseEvent {
  readonly seq: number;
  readonly releaseId: string;
  readonly service: string;
  readonly version: string;
  readonly createdBy: string;
  readonly at: Date;
  readonly type: string;
  readonly payload: unknown;
  readonly state: unknown;
}

interface EventRow {
  seq: number | string;
  release_id: string;
  service: string;
  version: string;
  created_by: string;
  at: Date;
  type: string;
  payload: unknown;
  state: unknown;
}

const eventOf = (r: EventRow): WindowReleaseEvent => ({
  seq: Number(r.seq),
  releaseId: r.release_id,
  service: r.service,
  version: r.version,
  createdBy: r.created_by,
  at: new Date(r.at),
  type: r.type,
  payload: r.payload,
  state: r.state,
});

/**
 * The environment's release events in the window, oldest first, and per release the state
 * just before its first event there (what a stage or a status changed from).
 */
export async function listReleaseEventsInWindow(
  db: SqlClient,
  environment: string,
  window: StoreWindow,
): Promise<{ readonly events: WindowReleaseEvent[]; readonly before: ReadonlyMap<string, unknown> }> {
  const rows = await db.query<EventRow>(
    `SELECT e.seq, e.release_id, r.service, r.version, r.created_by, e.at, e.type, e.payload, e.state
       FROM release_events e JOIN releases r ON r.id = e.release_id
      WHERE r.environment = $1 AND e.at >= $2 AND e.at < $3 AND ($4::text IS NULL OR r.service = $4)
      ORDER BY e.seq LIMIT $5`,
    [environment, window.since, window.until, window.service ?? null, window.limit ?? 5000],
  );
  const events = rows.map(eventOf);
  const ids = [...new Set(events.map((e) => e.releaseId))];
  const before = new Map<string, unknown>();
  for (const id of ids) {
    const first = events.find((e) => e.releaseId === id) as WindowReleaseEvent;
    const prior = await db.query<{ state: unknown }>(
      'SELECT state FROM release_events WHERE release_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT 1',
      [id, first.seq],
    );
    if (prior[0]) before.set(id, prior[0].state);
  }
  return { events, before };
}

/** The environment's audited writes in the window, and the server-wide ones (a configuration commit taken), oldest first. */
export async function listAuditInWindow(
  db: SqlClient,
  environment: string,
  window: StoreWindow,
): Promise<AuditRecord[]> {
  return listAudit(db, {
    environmentOrServer: environment,
    since: window.since,
    until: window.until,
    oldestFirst: true,
    limit: window.limit ?? 5000,
  });
}

/** The environment's silences created or ended in the window. */
export async function listSilencesInWindow(
  db: SqlClient,
  environment: string,
  window: StoreWindow,
): Promise<SilenceRecord[]> {
  const rows = await db.query<SilenceRow>(
    `SELECT ${silenceColumns} FROM silences
      WHERE environment = $1 AND created_at < $3 AND least(expires_at, coalesce(expired_at, expires_at)) >= $2
      ORDER BY created_at, id LIMIT $4`,
    [environment, window.since, window.until, window.limit ?? 5000],
  );
  return rows.map(silenceFromRow);
}
