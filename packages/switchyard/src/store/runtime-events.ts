import { json, type SqlClient } from './sql.js';

/** What a runtime reported that matters in an incident: scaling, schedule floors, crashes. */
export interface RuntimeEventEntry {
  readonly environment: string;
  readonly type: string;
  /** The service or worker it is about. */
  readonly service: string;
  /** The event in one line, as a person reads it. */
  readonly text: string;
  readonly payload: unknown;
  readonly at?: Date;
}

export interface RuntimeEventRecord extends Required<RuntimeEventEntry> {
  readonly seq: number;
}

interface RuntimeEventRow {
  seq: number | string;
  environment: string;
  at: Date;
  type: string;
  service: string;
  text: string;
  payload: unknown;
}

export async function recordRuntimeEvent(db: SqlClient, entry: RuntimeEventEntry): Promise<void> {
  await db.query(
    `INSERT INTO runtime_events (environment, at, type, service, text, payload)
     VALUES ($1, coalesce($2::timestamptz, now()), $3, $4, $5, $6::jsonb)`,
    [entry.environment, entry.at ?? null, entry.type, entry.service, entry.text, json(entry.payload)],
  );
}

/** The environment's runtime events in a window, oldest first. */
export async function listRuntimeEvents(
  db: SqlClient,
  environment: string,
  filter: { readonly since: Date; readonly until: Date; readonly service?: string; readonly limit?: number },
): Promise<RuntimeEventRecord[]> {
  const rows = await db.query<RuntimeEventRow>(
    `SELECT seq, environment, at, type, service, text, payload FROM runtime_events
      WHERE environment = $1 AND at >= $2 AND at < $3 AND ($4::text IS NULL OR service = $4)
      ORDER BY at, seq LIMIT $5`,
    [environment, filter.since, filter.until, filter.service ?? null, filter.limit ?? 1000],
  );
  return rows.map((r) => ({ ...r, seq: Number(r.seq), at: new Date(r.at) }));
}
