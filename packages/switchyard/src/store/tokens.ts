import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SwitchyardError } from '../errors/index.js';
import { json, type SqlClient } from './sql.js';

export const ROLES = ['viewer', 'deployer', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Environment name, or `*` for every environment → the role the token has there. */
export type RoleGrants = Readonly<Record<string, Role>>;

/** A token as stored and listed: never its secret. */
export interface ApiToken {
  readonly id: string;
  readonly name: string;
  readonly roles: RoleGrants;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

const SECRET_PREFIX = 'swy_';
const SECRET_SHAPE = /^swy_[A-Za-z0-9_-]{43}$/;

/** SHA-256 of the secret, hex: what the database keeps. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

function invalid(message: string, details: Record<string, unknown> = {}): SwitchyardError {
  return new SwitchyardError('SWY_STORE_TOKEN_INVALID', { message, details });
}

function checkGrants(name: string, roles: RoleGrants): void {
  const entries = Object.entries(roles);
  if (entries.length === 0) throw invalid(`The token ${name} has no roles: give it a role for at least one environment (or *)`);
  for (const [environment, role] of entries) {
    if (environment.trim() === '') throw invalid(`The token ${name} grants a role for an empty environment name`);
    if (!(ROLES as readonly string[]).includes(role)) {
      throw invalid(`The token ${name} grants an unknown role ${JSON.stringify(role)} for ${environment}: use one of ${ROLES.join(', ')}`, { environment, role });
    }
  }
}

interface TokenRow {
  id: string;
  name: string;
  roles: RoleGrants;
  created_at: Date;
  revoked_at: Date | null;
}

const COLUMNS = 'id, name, roles, created_at, revoked_at';
const toToken = (row: TokenRow): ApiToken => ({ id: row.id, name: row.name, roles: row.roles, createdAt: row.created_at, revokedAt: row.revoked_at });

/** Creates a token and returns its secret, `swy_…`: the only time it is ever seen. */
export async function createToken(db: SqlClient, input: { readonly name: string; readonly roles: RoleGrants }): Promise<{ token: ApiToken; secret: string }> {
  const name = input.name.trim();
  if (name === '' || name.length > 100) throw invalid('A token needs a name of 1 to 100 characters');
  checkGrants(name, input.roles);
  const secret = SECRET_PREFIX + randomBytes(32).toString('base64url');
  const rows = await db.query<TokenRow>(`INSERT INTO api_tokens (id, name, token_hash, roles) VALUES ($1, $2, $3, $4::jsonb) RETURNING ${COLUMNS}`, [
    randomUUID(),
    name,
    hashSecret(secret),
    json(input.roles),
  ]);
  return { token: toToken(rows[0] as TokenRow), secret };
}

/**
 * The active (not revoked) token whose secret this is. The lookup is by the secret's hash, so
 * neither the database nor its timing learns anything about the secret itself.
 */
export async function findTokenBySecret(db: SqlClient, secret: string): Promise<ApiToken | undefined> {
  if (!SECRET_SHAPE.test(secret)) return undefined;
  const rows = await db.query<TokenRow>(`SELECT ${COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL`, [hashSecret(secret)]);
  return rows[0] ? toToken(rows[0]) : undefined;
}

/** Every token, revoked ones included, oldest first. */
export async function listTokens(db: SqlClient): Promise<ApiToken[]> {
  return (await db.query<TokenRow>(`SELECT ${COLUMNS} FROM api_tokens ORDER BY created_at, id`)).map(toToken);
}

/** Revokes a token from now on; revoking it again keeps the first revocation time. */
export async function revokeToken(db: SqlClient, id: string): Promise<ApiToken> {
  const rows = await db.query<TokenRow>(`UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`, [id]);
  if (!rows[0]) throw new SwitchyardError('SWY_STORE_TOKEN_NOT_FOUND', { message: `The API token ${id} does not exist`, details: { tokenId: id } });
  return toToken(rows[0]);
}
