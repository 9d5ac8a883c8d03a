import { createHash } from 'node:crypto';
import { SwitchyardError } from '../errors/index.js';
import { json, type SqlClient } from './sql.js';

/** A mutating request as the idempotency check sees it. */
export interface IdempotentRequest {
  readonly key: string;
  /** Keys are scoped per actor: two callers may use the same key. */
  readonly actor: string;
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
}

export type Claim =
  /** First time: handle the request, then completeIdempotencyKey (or abandonIdempotencyKey). */
  | { readonly outcome: 'claimed' }
  /** A retry of a completed request: answer with the stored response, do nothing else. */
  | { readonly outcome: 'replay'; readonly status: number; readonly body: unknown };

export interface ClaimOptions {
  /**
   * A claim never completed after this long is taken to be from a process that died mid
   * request, and the key may be claimed again (default 5 minutes).
   */
  readonly staleAfterMs?: number;
}

/** JSON with keys sorted at every depth, so that equal bodies hash equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function requestFingerprint(request: Pick<IdempotentRequest, 'method' | 'path' | 'body'>): {
  method: string;
  path: string;
  bodyHash: string;
} {
  const body = request.body === undefined ? '' : canonical(request.body);
  return {
    method: request.method.toUpperCase(),
    path: request.path,
    bodyHash: createHash('sha256').update(body).digest('hex'),
  };
}

interface KeyRow {
  method: string;
  path: string;
  body_hash: string;
  response_status: number | null;
  response_body: unknown;
  completed_at: Date | null;
  stale: boolean;
}

/**
 * Claims an idempotency key. Of two identical requests racing, exactly one gets `claimed`;
 * the other gets SWY_STORE_IDEMPOTENCY_IN_PROGRESS until the first completes, then the
 * stored response. The same key with another method, path or body is
 * SWY_STORE_IDEMPOTENCY_MISMATCH.
 */
export async function claimIdempotencyKey(
  db: SqlClient,
  request: IdempotentRequest,
  options: ClaimOptions = {},
): Promise<Claim> {
  const fp = requestFingerprint(request);
  const staleAfterMs = options.staleAfterMs ?? 5 * 60_000;
  for (let attempt = 0; attempt < 3; attempt++) {
    const inserted = await db.query(
      `INSERT INTO idempotency_keys (key, actor, method, path, body_hash) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key, actor) DO NOTHING RETURNING key`,
      [request.key, request.actor, fp.method, fp.path, fp.bodyHash],
    );
    if (inserted.length > 0) return { outcome: 'claimed' };
    const rows = await db.query<KeyRow>(
      `SELECT method, path, body_hash, response_status, response_body, completed_at, created_at < now() - make_interval(secs => $3::double precision / 1000) AS stale
       FROM idempotency_keys WHERE key = $1 AND actor = $2`,
      [request.key, request.actor, staleAfterMs],
    );
    const row = rows[0];
    if (!row) continue; // abandoned meanwhile: claim again
    if (row.method !== fp.method || row.path !== fp.path || row.body_hash !== fp.bodyHash) {
      throw new SwitchyardError('SWY_STORE_IDEMPOTENCY_MISMATCH', {
        message: `The idempotency key ${request.key} was first used for ${row.method} ${row.path} with another body; this request is ${fp.method} ${fp.path}`,
        details: { key: request.key, firstMethod: row.method, firstPath: row.path },
      });
    }
    if (row.completed_at !== null)
      return { outcome: 'replay', status: Number(row.response_status), body: row.response_body ?? null };
    if (row.stale) {
      const taken = await db.query(
        `UPDATE idempotency_keys SET created_at = now() WHERE key = $1 AND actor = $2 AND completed_at IS NULL
           AND created_at < now() - make_interval(secs => $3::double precision / 1000) RETURNING key`,
        [request.key, request.actor, staleAfterMs],
      );
      if (taken.length > 0) return { outcome: 'claimed' };
      continue;
    }
    throw new SwitchyardError('SWY_STORE_IDEMPOTENCY_IN_PROGRESS', {
      message: `A request with idempotency key ${request.key} (${fp.method} ${fp.path}) is still being processed`,
      details: { key: request.key },
    });
  }
  throw new SwitchyardError('SWY_STORE_IDEMPOTENCY_IN_PROGRESS', {
    message: `The idempotency key ${request.key} kept changing hands; retry the request`,
    details: { key: request.key },
  });
}

/** Stores the response of a claimed request: every retry with the key gets it back. */
export async function completeIdempotencyKey(
  db: SqlClient,
  input: { readonly key: string; readonly actor: string; readonly status: number; readonly body: unknown },
): Promise<void> {
  await db.query(
    `UPDATE idempotency_keys SET response_status = $3, response_body = $4::jsonb, completed_at = now() WHERE key = $1 AND actor = $2 AND completed_at IS NULL`,
    [input.key, input.actor, input.status, json(input.body ?? null)],
  );
}

/** Forgets an uncompleted claim (the request failed before it changed anything), so a retry runs it again. */
export async function abandonIdempotencyKey(
  db: SqlClient,
  input: { readonly key: string; readonly actor: string },
): Promise<void> {
  await db.query('DELETE FROM idempotency_keys WHERE key = $1 AND actor = $2 AND completed_at IS NULL', [
    input.key,
    input.actor,
  ]);
}

/** Deletes keys older than `before`; returns how many. */
export async function pruneIdempotencyKeys(db: SqlClient, before: Date): Promise<number> {
  const rows = await db.query('DELETE FROM idempotency_keys WHERE created_at < $1 RETURNING key', [
    before.toISOString(),
  ]);
  return rows.length;
}
