import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SwitchyardError } from '../errors/index.js';
import { isUniqueViolation, json, type SqlClient } from './sql.js';

export const ROLES = ['viewer', 'deployer', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Environment name, or `*` for every environment → the role the token has there. */
export type RoleGrants = Readonly<Record<string, Role>>;

/** A token as stored and listed: never its secret, nor its hash. */
export interface ApiToken {
  readonly id: string;
  readonly name: string;
  readonly roles: RoleGrants;
  readonly description: string | null;
  readonly createdAt: Date;
  /** The name of the token (or `local:<user>`, `system`) that created it. */
  readonly createdBy: string;
  /** null: never expires. */
  readonly expiresAt: Date | null;
  /** When it last authenticated a request, to the minute. */
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
  readonly revokedBy: string | null;
}

export interface NewToken {
  readonly name: string;
  readonly roles: RoleGrants;
  readonly description?: string;
  readonly expiresAt?: Date;
  /** Default `system`: the server itself. */
  readonly createdBy?: string;
}

const SECRET_PREFIX = 'swy_';
const SECRET_SHAPE = /^swy_[A-Za-z0-9_-]{43}$/;
/** Letters, digits and `. _ @ -`: a name shows up as the actor of every audit entry. */
export const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/;
/** An id is a UUID; a name that looked like one would make `revoke <id|name>` ambiguous. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Environment names are DNS labels (see spec/schema.ts). */
export const GRANT_ENVIRONMENT = /^(?:\*|[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)$/;
export const MAX_GRANTS = 50;
export const MAX_DESCRIPTION = 500;
/** How stale last use may get before an authentication writes it again. */
const LAST_USE_RESOLUTION = "interval '1 minute'";

/** SHA-256 of the secret, hex: what the database keeps. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

function invalid(message: string, details: Record<string, unknown> = {}): SwitchyardError {
  return new SwitchyardError('SWY_STORE_TOKEN_INVALID', { message, details });
}

function checkName(name: string): void {
  if (!TOKEN_NAME.test(name) || UUID.test(name)) {
    throw invalid(
      `The token name ${JSON.stringify(name.slice(0, 120))} is invalid: use 1 to 100 letters, digits, dots, dashes, underscores or @, starting with a letter or digit`,
      { name: name.slice(0, 120) },
    );
  }
}

function checkGrants(name: string, roles: RoleGrants): void {
  const entries = Object.entries(roles);
  if (entries.length === 0)
    throw invalid(`The token ${name} has no roles: give it a role for at least one environment (or *)`);
  if (entries.length > MAX_GRANTS)
    throw invalid(
      `The token ${name} has ${entries.length} roles: give it at most ${MAX_GRANTS} (use * for every environment)`,
    );
  for (const [environment, role] of entries) {
    if (!GRANT_ENVIRONMENT.test(environment)) {
      throw invalid(
        `The token ${name} grants a role for ${JSON.stringify(environment.slice(0, 80))}, which is not an environment name: use a name from environments/ or * for every environment`,
        { environment: environment.slice(0, 80) },
      );
    }
    if (!(ROLES as readonly string[]).includes(role)) {
      throw invalid(
        `The token ${name} grants an unknown role ${JSON.stringify(role)} for ${environment}: use one of ${ROLES.join(', ')}`,
        { environment, role },
      );
    }
  }
}

function checkDescription(description: string | undefined): void {
  if (description === undefined) return;
  if (description.length > MAX_DESCRIPTION)
    throw invalid(`The token's description has ${description.length} characters: keep it to ${MAX_DESCRIPTION}`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(description))
    throw invalid(
      "The token's description holds a control character (a newline, tab or NUL): use one line of plain text",
    );
}

interface TokenRow {
  id: string;
  name: string;
  roles: RoleGrants;
  description: string | null;
  created_at: Date;
  created_by: string;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
  revoked_by: string | null;
}

const COLUMNS =
  'id, name, roles, description, created_at, created_by, expires_at, last_used_at, revoked_at, revoked_by';
const toToken = (row: TokenRow): ApiToken => ({
  id: row.id,
  name: row.name,
  roles: row.roles,
  description: row.description,
  createdAt: row.created_at,
  createdBy: row.created_by,
  expiresAt: row.expires_at,
  lastUsedAt: row.last_used_at,
  revokedAt: row.revoked_at,
  revokedBy: row.revoked_by,
});

/** Creates a token and returns its secret, `swy_…`: the only time it is ever seen. */
export async function createToken(db: SqlClient, input: NewToken): Promise<{ token: ApiToken; secret: string }> {
  const name = input.name.trim();
  checkName(name);
  checkGrants(name, input.roles);
  checkDescription(input.description);
  const secret = SECRET_PREFIX + randomBytes(32).toString('base64url');
  try {
    const rows = await db.query<TokenRow>(
      `INSERT INTO api_tokens (id, name, token_hash, roles, description, created_by, expires_at) VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7) RETURNING ${COLUMNS}`,
      [
        randomUUID(),
        name,
        hashSecret(secret),
        json(input.roles),
        input.description ?? null,
        input.createdBy ?? 'system',
        input.expiresAt?.toISOString() ?? null,
      ],
    );
    return { token: toToken(rows[0] as TokenRow), secret };
  } catch (err) {
    if (!isUniqueViolation(err, 'api_tokens_active_name')) throw err;
    throw new SwitchyardError('SWY_STORE_TOKEN_NAME_TAKEN', {
      message: `An active API token is already named ${name}`,
      cause: err,
      details: { name },
    });
  }
}

/** What a secret is, without recording a use: for diagnostics (why does this token not work?). */
export async function inspectSecret(
  db: SqlClient,
  secret: string,
): Promise<{ token: ApiToken; state: 'active' | 'expired' | 'revoked' } | undefined> {
  if (!SECRET_SHAPE.test(secret)) return undefined;
  const rows = await db.query<TokenRow & { expired: boolean }>(
    `SELECT ${COLUMNS}, coalesce(expires_at <= now(), false) AS expired FROM api_tokens WHERE token_hash = $1`,
    [hashSecret(secret)],
  );
  const row = rows[0];
  if (!row) return undefined;
  return { token: toToken(row), state: row.revoked_at ? 'revoked' : row.expired ? 'expired' : 'active' };
}

/**
 * The active token whose secret this is, and a use recorded. The lookup is by the secret's
 * hash, so neither the database nor its timing learns anything about the secret itself. An
 * expired token is refused with SWY_API_TOKEN_EXPIRED; a revoked or unknown one gives undefined.
 *
 * Last use is written only when the stored one is a minute old or more: one row write per token
 * per minute, however many requests it makes; the check itself rides on the lookup.
 */
export async function findTokenBySecret(db: SqlClient, secret: string): Promise<ApiToken | undefined> {
  if (!SECRET_SHAPE.test(secret)) return undefined;
  const rows = await db.query<TokenRow & { expired: boolean; use_is_stale: boolean }>(
    `SELECT ${COLUMNS}, coalesce(expires_at <= now(), false) AS expired, coalesce(last_used_at < now() - ${LAST_USE_RESOLUTION}, true) AS use_is_stale
     FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL`,
    [hashSecret(secret)],
  );
  const row = rows[0];
  if (!row) return undefined;
  if (row.expired) {
    throw new SwitchyardError('SWY_API_TOKEN_EXPIRED', {
      message: `The token ${row.name} expired at ${(row.expires_at as Date).toISOString()}`,
      details: { tokenId: row.id, expiresAt: row.expires_at },
    });
  }
  if (!row.use_is_stale) return toToken(row);
  // Two servers (or requests) racing here both pass the same stale check; the condition keeps it one write.
  const touched = await db.query<TokenRow>(
    `UPDATE api_tokens SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - ${LAST_USE_RESOLUTION}) RETURNING ${COLUMNS}`,
    [row.id],
  );
  return toToken(touched[0] ?? row);
}

/** Every token, revoked ones included, oldest first. */
export async function listTokens(db: SqlClient): Promise<ApiToken[]> {
  return (await db.query<TokenRow>(`SELECT ${COLUMNS} FROM api_tokens ORDER BY created_at, id`)).map(toToken);
}

/** A token by its id, or by the name of the active token that has it. */
export async function findToken(db: SqlClient, idOrName: string): Promise<ApiToken | undefined> {
  const rows = UUID.test(idOrName)
    ? await db.query<TokenRow>(`SELECT ${COLUMNS} FROM api_tokens WHERE id = $1`, [idOrName.toLowerCase()])
    : await db.query<TokenRow>(`SELECT ${COLUMNS} FROM api_tokens WHERE name = $1 AND revoked_at IS NULL`, [idOrName]);
  return rows[0] ? toToken(rows[0]) : undefined;
}

/** Revokes a token from now on; revoking it again keeps the first revocation's time and author. */
export async function revokeToken(db: SqlClient, id: string, revokedBy = 'system'): Promise<ApiToken> {
  const rows = await db.query<TokenRow>(
    `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()), revoked_by = CASE WHEN revoked_at IS NULL THEN $2 ELSE revoked_by END WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, revokedBy],
  );
  if (!rows[0])
    throw new SwitchyardError('SWY_STORE_TOKEN_NOT_FOUND', {
      message: `The API token ${id} does not exist`,
      details: { tokenId: id },
    });
  return toToken(rows[0]);
}
