import { readFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { isSwitchyardError, SwitchyardError } from '../errors/index.js';
import {
  appendAudit,
  createToken,
  inspectSecret,
  listTokens,
  revokeToken,
  type ApiToken,
  type SqlClient,
  type Store,
} from '../store/index.js';
import { writeSecretFile } from './private-files.js';

/**
 * The data directory's own admin token, `<data-dir>/admin.token`: made on the first start so
 * the machine's owner can use the CLI at once. Whoever can read the data directory owns the
 * fleet — that is the trust boundary — so the same owner may mint a new one when the file is
 * lost (`switchyard token recover`), audited as the operating-system user who did it.
 */

export const ADMIN_TOKEN_FILE = 'admin.token';
const ADMIN = {
  name: 'admin',
  roles: { '*': 'admin' },
  description: "the data directory's own admin token (admin.token)",
} as const;

/** Who acts on this machine without a token: the operating-system user, as the audit log names it. */
export function localActor(): string {
  return `local:${userInfo().username}`;
}

function lost(message: string, recovery: string): SwitchyardError {
  return new SwitchyardError('SWY_SERVER_ADMIN_TOKEN_LOST', {
    message,
    hint: `Stop Switchyard if it runs, then run on this machine: ${recovery}`,
    details: { recovery },
  });
}

function whyUnusable(found: Awaited<ReturnType<typeof inspectSecret>>): string {
  if (!found) return 'is not a token of this store';
  if (found.state === 'expired') return `expired at ${found.token.expiresAt?.toISOString()}`;
  return `was revoked at ${found.token.revokedAt?.toISOString()}${found.token.revokedBy ? ` by ${found.token.revokedBy}` : ''}`;
}

/**
 * The admin token in the data directory; the first start creates it. A later start whose file
 * is missing or holds a token that no longer works is refused with `recovery`, the exact command
 * that gets the owner back in: a server whose owner has no way to reach its API is no use.
 */
export async function adminToken(store: Store, dataDir: string, recovery: string): Promise<string>;
/**
 * With `shared` (a PostgreSQL store other replicas may use), a data directory without the file
 * is a replica of its own: it starts without a token (undefined) and `onShared` says where to get one.
 */
export async function adminToken(
  store: Store,
  dataDir: string,
  recovery: string,
  shared: { readonly onShared: (line: string) => void },
): Promise<string | undefined>;
export async function adminToken(
  store: Store,
  dataDir: string,
  recovery: string,
  shared?: { readonly onShared: (line: string) => void },
): Promise<string | undefined> {
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  const saved = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (saved) {
    const found = await inspectSecret(store, saved);
    if (found?.state === 'active') return saved;
    throw lost(`The admin token in ${file} ${whyUnusable(found)}`, recovery);
  }
  const madeElsewhere = () =>
    shared?.onShared(
      `admin token: this store's admin token was made by another replica (or an earlier data directory), so none is written to ${file}: use that replica's admin.token, a token from \`switchyard token create\`, or run \`${recovery}\` with this replica stopped (it revokes the old one)`,
    );
  if ((await listTokens(store)).some((t) => t.name === ADMIN.name)) {
    if (!shared) throw lost(`The admin token of this store is not in ${file}: the file is missing or empty`, recovery);
    madeElsewhere();
    return undefined;
  }
  try {
    return (await mintAdmin(store, dataDir, 'first start')).secret;
  } catch (err) {
    // Replicas starting together on an empty store: one of them makes the token, the others use it.
    if (!shared || !isSwitchyardError(err) || err.code !== 'SWY_STORE_TOKEN_NAME_TAKEN') throw err;
    madeElsewhere();
    return undefined;
  }
}

export interface AdminRecovery {
  readonly revoked: readonly ApiToken[];
  readonly token: ApiToken;
  /** Also in `file` (0600), for the CLI's credentials. */
  readonly secret: string;
  readonly file: string;
}

/** Revokes the data directory's admin token(s) and writes a new one to admin.token. The server must not run. */
export function recoverAdminToken(store: Store, dataDir: string): Promise<AdminRecovery> {
  return mintAdmin(store, dataDir, 'token recover');
}

async function revokeAdmins(tx: SqlClient, actor: string, where: Record<string, string>): Promise<ApiToken[]> {
  const revoked: ApiToken[] = [];
  for (const old of (await listTokens(tx)).filter((t) => t.name === ADMIN.name && !t.revokedAt)) {
    revoked.push(await revokeToken(tx, old.id, actor));
    await appendAudit(tx, {
      actor,
      action: 'token.revoke',
      target: `/v1/tokens/${old.id}`,
      environment: '*',
      outcome: 'succeeded',
      details: { ...where, token: old.id, name: old.name },
    });
  }
  return revoked;
}

async function mintAdmin(store: Store, dataDir: string, via: 'first start' | 'token recover'): Promise<AdminRecovery> {
  const actor = localActor();
  const where = { via, dataDir, host: hostname() };
  const minted = await store.transaction(async (tx) => {
    const revoked = via === 'token recover' ? await revokeAdmins(tx, actor, where) : [];
    const { token, secret } = await createToken(tx, { ...ADMIN, createdBy: actor });
    await appendAudit(tx, {
      actor,
      action: 'token.create',
      target: `/v1/tokens/${token.id}`,
      environment: '*',
      outcome: 'succeeded',
      details: { ...where, token: token.id, name: token.name, roles: token.roles },
    });
    return { revoked, token, secret };
  });
  // Written once the token is committed: a failure here leaves a token nobody holds, which the next recover revokes.
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  await writeSecretFile(file, `${minted.secret}\n`);
  return { ...minted, file };
}
