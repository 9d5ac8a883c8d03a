import { json, type SqlClient } from './sql.js';

export interface AuditEntry {
  /** Who: a token name, `cli:<user>`, `system`. */
  readonly actor: string;
  /** What, e.g. `release.deploy`, `release.rollback`, `token.create`. */
  readonly action: string;
  /** On what, e.g. `api` or a release id. */
  readonly target: string;
  readonly environment?: string | null;
  /** e.g. `allowed`, `denied`, `failed`, `succeeded`. */
  readonly outcome: string;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly reason?: string | null;
}

export interface AuditRecord extends Required<Omit<AuditEntry, 'environment' | 'reason'>> {
  readonly seq: number;
  readonly at: Date;
  readonly environment: string | null;
  readonly reason: string | null;
}

interface AuditRow {
  seq: number;
  at: Date;
  actor: string;
  action: string;
  target: string;
  environment: string | null;
  outcome: string;
  details: Record<string, unknown>;
  reason: string | null;
}

const COLUMNS = 'seq, at, actor, action, target, environment, outcome, details, reason';

const toRecord = (row: AuditRow): AuditRecord => ({ ...row, seq: Number(row.seq) });

/**
 * Appends one entry. The log is append-only in the database itself: a trigger refuses every
 * UPDATE, DELETE and TRUNCATE, whoever sends it.
 */
export async function appendAudit(db: SqlClient, entry: AuditEntry): Promise<AuditRecord> {
  const rows = await db.query<AuditRow>(
    `INSERT INTO audit_log (actor, action, target, environment, outcome, details, reason) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7) RETURNING ${COLUMNS}`,
    [
      entry.actor,
      entry.action,
      entry.target,
      entry.environment ?? null,
      entry.outcome,
      json(entry.details ?? {}),
      entry.reason ?? null,
    ],
  );
  return toRecord(rows[0] as AuditRow);
}

export interface AuditFilter {
  readonly environment?: string;
  readonly actor?: string;
  readonly action?: string;
  readonly target?: string;
  /** This environment's entries and the server-wide ones (environment null). */
  readonly environmentOrServer?: string;
  /** Only entries older than this seq (paging backwards). */
  readonly beforeSeq?: number;
  /** Only entries at or after `since` and before `until`. */
  readonly since?: Date;
  readonly until?: Date;
  /** Oldest first instead of newest first. */
  readonly oldestFirst?: boolean;
  /** Default 100. */
  readonly limit?: number;
}

/** Newest first (unless oldestFirst). */
export async function listAudit(db: SqlClient, filter: AuditFilter = {}): Promise<AuditRecord[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  for (const column of ['environment', 'actor', 'action', 'target'] as const) {
    const value = filter[column];
    if (value !== undefined) where.push(`${column} = $${params.push(value)}`);
  }
  if (filter.environmentOrServer !== undefined)
    where.push(`(environment = $${params.push(filter.environmentOrServer)} OR environment IS NULL)`);
  if (filter.beforeSeq !== undefined) where.push(`seq < $${params.push(filter.beforeSeq)}`);
  if (filter.since !== undefined) where.push(`at >= $${params.push(filter.since)}`);
  if (filter.until !== undefined) where.push(`at < $${params.push(filter.until)}`);
  const order = filter.oldestFirst ? 'ASC' : 'DESC';
  const sql = `SELECT ${COLUMNS} FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${order} LIMIT $${params.push(filter.limit ?? 100)}`;
  return (await db.query<AuditRow>(sql, params)).map(toRecord);
}
