import { randomUUID } from 'node:crypto';
import type { SilenceInput } from '../timeline/index.js';
import { json, type SqlClient } from './sql.js';

/** A silence as stored: the timeline's silence (times as RFC 3339 text, matchers absent when they match everything) and its environment. */
export interface SilenceRecord extends SilenceInput {
  readonly environment: string;
}

export interface NewSilence {
  readonly environment: string;
  readonly services?: readonly string[];
  readonly checks?: readonly string[];
  readonly author: string;
  readonly reason: string;
  readonly expiresAt: Date;
}

export interface SilenceRow {
  id: string;
  environment: string;
  services: string[] | null;
  checks: string[] | null;
  author: string;
  reason: string;
  created_at: Date;
  expires_at: Date;
  expired_at: Date | null;
  expired_by: string | null;
}

export const silenceColumns =
  'id, environment, services, checks, author, reason, created_at, expires_at, expired_at, expired_by';

export function silenceFromRow(r: SilenceRow): SilenceRecord {
  return {
    id: r.id,
    environment: r.environment,
    ...(r.services ? { services: r.services } : {}),
    ...(r.checks ? { checks: r.checks } : {}),
    author: r.author,
    reason: r.reason,
    createdAt: new Date(r.created_at).toISOString(),
    expiresAt: new Date(r.expires_at).toISOString(),
    expiredAt: r.expired_at ? new Date(r.expired_at).toISOString() : null,
    expiredBy: r.expired_by,
  };
}

export async function createSilence(db: SqlClient, input: NewSilence): Promise<SilenceRecord> {
  const rows = await db.query<SilenceRow>(
    `INSERT INTO silences (id, environment, services, checks, author, reason, expires_at)
     VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $6, $7) RETURNING ${silenceColumns}`,
    [
      randomUUID(),
      input.environment,
      json(input.services),
      json(input.checks),
      input.author,
      input.reason,
      input.expiresAt,
    ],
  );
  return silenceFromRow(rows[0] as SilenceRow);
}

/** The environment's silences, newest first: those still muting only, unless `all`. */
export async function listSilences(
  db: SqlClient,
  environment: string,
  options: { readonly all?: boolean; readonly limit?: number } = {},
): Promise<SilenceRecord[]> {
  const rows = await db.query<SilenceRow>(
    `SELECT ${silenceColumns} FROM silences WHERE environment = $1
       AND ($2::boolean OR (expires_at > now() AND (expired_at IS NULL OR expired_at > now())))
     ORDER BY created_at DESC, id LIMIT $3`,
    [environment, options.all ?? false, options.limit ?? 500],
  );
  return rows.map(silenceFromRow);
}

export async function findSilence(db: SqlClient, environment: string, id: string): Promise<SilenceRecord | undefined> {
  const rows = await db.query<SilenceRow>(`SELECT ${silenceColumns} FROM silences WHERE environment = $1 AND id = $2`, [
    environment,
    id,
  ]);
  return rows[0] ? silenceFromRow(rows[0]) : undefined;
}

/** Ends a silence now; one that already ended stays as it was. */
export async function expireSilence(
  db: SqlClient,
  environment: string,
  id: string,
  by: string,
): Promise<SilenceRecord | undefined> {
  await db.query(
    `UPDATE silences SET expired_at = now(), expired_by = $3
      WHERE environment = $1 AND id = $2 AND expired_at IS NULL AND expires_at > now()`,
    [environment, id, by],
  );
  return findSilence(db, environment, id);
}
