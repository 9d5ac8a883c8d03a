import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, hashSecret, type RoleGrants } from '../../store/index.js';
import { runCli } from '../../../test/support/cli.js';
import { startTestFleet, type TestFleet } from '../../../test/support/local-fleet.js';

/**
 * Token management against a running server (the embedded store, the real HTTP API) and
 * through the built CLI: who may mint and revoke what, expiry, last use, the audit log, and a
 * secret that is shown once and stored nowhere.
 */

interface TokenBody {
  id: string;
  name: string;
  roles: Record<string, string>;
  status: string;
  createdBy: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
}
interface Answer<T> {
  status: number;
  body: T & { error?: { code: string; message: string } };
  headers: Headers;
}

let fleet: TestFleet;

async function api<T = Record<string, unknown>>(
  auth: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer<T>> {
  const response = await fetch(`${fleet.api}${path}`, {
    method,
    headers: { authorization: auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: (text ? JSON.parse(text) : {}) as Answer<T>['body'],
    headers: response.headers,
  };
}

const bearer = (secret: string) => `Bearer ${secret}`;
const mint = (auth: string, name: string, roles: RoleGrants, extra: Record<string, unknown> = {}) =>
  api<{ token: TokenBody; secret: string | null }>(auth, 'POST', '/v1/tokens', { name, roles, ...extra });

/** A token made straight in the store, as an admin would have made it: its bearer header. */
async function holder(name: string, roles: RoleGrants): Promise<string> {
  return bearer((await createToken(fleet.server.store, { name, roles, createdBy: 'admin' })).secret);
}

/** Every row of the tables a secret could leak into, as text. */
async function storedText(): Promise<string> {
  const rows = await Promise.all(
    ['api_tokens', 'idempotency_keys', 'audit_log'].map((t) => fleet.server.store.query(`SELECT * FROM ${t}`)),
  );
  return JSON.stringify(rows);
}

beforeAll(async () => {
  fleet = await startTestFleet();
});
afterAll(async () => {
  await fleet?.stop();
});

describe('token management over HTTP', () => {
  it('creates a token whose secret works at once, is answered once, and is stored nowhere', async () => {
    const before = Date.now();
    const created = await mint(
      fleet.auth,
      'ci-release',
      { sandbox: 'deployer' },
      { expires: '30d', description: 'release pipeline of the catalog team' },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const secret = created.body.secret as string;
    expect(secret).toMatch(/^swy_[A-Za-z0-9_-]{43}$/);
    expect(created.body.token).toMatchObject({
      name: 'ci-release',
      roles: { sandbox: 'deployer' },
      status: 'active',
      createdBy: 'admin',
      lastUsedAt: null,
      revokedAt: null,
      description: 'release pipeline of the catalog team',
    });
    const expires = Date.parse(created.body.token.expiresAt as string);
    expect(expires - before).toBeGreaterThanOrEqual(30 * 86_400_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(30 * 86_400_000);

    expect((await api(bearer(secret), 'GET', '/v1/status')).status).toBe(200);
    const listed = await api<{ tokens: TokenBody[] }>(fleet.auth, 'GET', '/v1/tokens');
    expect(listed.status).toBe(200);
    const mine = listed.body.tokens.find((t) => t.id === created.body.token.id);
    expect(mine?.lastUsedAt).not.toBeNull();
    expect(Object.keys(mine ?? {}).sort()).toEqual([
      'createdAt',
      'createdBy',
      'description',
      'expiresAt',
      'id',
      'lastUsedAt',
      'name',
      'revokedAt',
      'revokedBy',
      'roles',
      'status',
    ]);
    const listText = JSON.stringify(listed.body);
    expect(listText).not.toContain(secret.slice(4));
    expect(listText).not.toContain(hashSecret(secret));
    expect(await storedText()).not.toContain(secret.slice(4));
  });

  it('answers a retried creation with the same token but never the secret again, and replays other routes whole', async () => {
    const key = randomUUID();
    const body = { name: 'ci-retried', roles: { sandbox: 'viewer' } };
    const first = await api<{ token: TokenBody; secret: string | null }>(fleet.auth, 'POST', '/v1/tokens', body, {
      'idempotency-key': key,
    });
    const again = await api<{ token: TokenBody; secret: string | null; note: string }>(
      fleet.auth,
      'POST',
      '/v1/tokens',
      body,
      { 'idempotency-key': key },
    );
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replay')).toBe('true');
    expect(again.body.token).toEqual(first.body.token);
    expect(again.body.secret).toBeNull();
    expect(again.body.note).toContain('shown only in the first answer');
    expect(
      (await api<{ tokens: TokenBody[] }>(fleet.auth, 'GET', '/v1/tokens')).body.tokens.filter(
        (t) => t.name === 'ci-retried',
      ),
    ).toHaveLength(1);
    expect(await storedText()).not.toContain((first.body.secret as string).slice(4));

    const revokeKey = randomUUID();
    const revoked = await api<TokenBody>(fleet.auth, 'DELETE', `/v1/tokens/${first.body.token.id}`, undefined, {
      'idempotency-key': revokeKey,
    });
    const replayed = await api<TokenBody>(fleet.auth, 'DELETE', `/v1/tokens/${first.body.token.id}`, undefined, {
      'idempotency-key': revokeKey,
    });
    expect(replayed.headers.get('idempotent-replay')).toBe('true');
    expect(replayed.body).toEqual(revoked.body);
  });

  it('lets only admins manage tokens, each within the environments it administers', async () => {
    const sandboxAdmin = await holder('sandbox-admin', { sandbox: 'admin' });
    const stagingAdmin = await holder('staging-admin', { staging: 'admin' });
    const deployer = await holder('deployer-everywhere', { '*': 'deployer' });
    const approver = await holder('approver-everywhere', { '*': 'approver' });

    for (const [auth, who] of [
      [deployer, 'deployer-everywhere'],
      [approver, 'approver-everywhere'],
    ] as const) {
      const refused = await mint(auth, `by-${who}`, { sandbox: 'viewer' });
      expect(refused.status).toBe(403);
      expect(refused.body.error?.message).toBe(
        `${who} may not manage-tokens in sandbox: it needs the admin role there and holds ${who.split('-')[0]}`,
      );
      expect((await api(auth, 'GET', '/v1/tokens')).status).toBe(403);
    }

    const ownDeployer = await mint(sandboxAdmin, 'sandbox-ci', { sandbox: 'deployer' });
    expect(ownDeployer.status).toBe(201);
    expect(ownDeployer.body.token.createdBy).toBe('sandbox-admin');
    expect((await mint(sandboxAdmin, 'sandbox-second-admin', { sandbox: 'admin' })).status).toBe(201);
    // Token routes act in the environment the server serves: an admin elsewhere manages its tokens through its own server.
    const notHere = await mint(stagingAdmin, 'staging-ci', { staging: 'deployer' });
    expect([notHere.status, notHere.body.error?.message]).toEqual([
      403,
      'staging-admin may not manage-tokens in sandbox: it needs the admin role there and holds none',
    ]);
    expect((await mint(fleet.auth, 'staging-ci', { staging: 'deployer' })).status).toBe(201);

    const elsewhere = await mint(sandboxAdmin, 'prod-viewer', { production: 'viewer' });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.error?.code).toBe('SWY_API_FORBIDDEN');
    expect((await mint(sandboxAdmin, 'everywhere-viewer', { '*': 'viewer' })).status).toBe(403);
    // A token that spans environments is judged by each of them, not only the first.
    const spanning = await mint(sandboxAdmin, 'spanning', { sandbox: 'viewer', staging: 'viewer' });
    expect(spanning.status).toBe(403);
    expect(spanning.body.error?.message).toBe(
      'sandbox-admin may not create a token with sandbox=viewer, staging=viewer: staging needs the admin role there, and sandbox-admin holds none',
    );

    // Revoking needs the same standing as minting.
    const wide = await mint(fleet.auth, 'wide-ci', { sandbox: 'deployer', production: 'viewer' });
    const refusedRevoke = await api(sandboxAdmin, 'DELETE', `/v1/tokens/${wide.body.token.id}`);
    expect(refusedRevoke.status).toBe(403);
    expect(refusedRevoke.body.error?.message).toBe(
      `sandbox-admin may not revoke the token ${wide.body.token.id}: it does not exist, or it reaches environments sandbox-admin does not administer`,
    );
    await mint(fleet.auth, 'sandbox-and-staging', { sandbox: 'deployer', staging: 'viewer' });
    const spanningRevoke = await api(sandboxAdmin, 'DELETE', '/v1/tokens/sandbox-and-staging');
    expect(spanningRevoke.status).toBe(403);
    expect(spanningRevoke.body.error?.message).toBe(
      'sandbox-admin may not revoke the token sandbox-and-staging: it does not exist, or it reaches environments sandbox-admin does not administer',
    );
    expect((await api(sandboxAdmin, 'DELETE', '/v1/tokens/staging-ci')).status).toBe(403);
    // An unknown token looks like one an environment admin may not touch: no existence oracle.
    const ghost = randomUUID();
    const unknownToAdmin = await api(sandboxAdmin, 'DELETE', `/v1/tokens/${ghost}`);
    expect([unknownToAdmin.status, unknownToAdmin.body.error?.message]).toEqual([
      403,
      `sandbox-admin may not revoke the token ${ghost}: it does not exist, or it reaches environments sandbox-admin does not administer`,
    ]);
    const unknown = await api(fleet.auth, 'DELETE', `/v1/tokens/${randomUUID()}`);
    expect([unknown.status, unknown.body.error?.code]).toEqual([404, 'SWY_STORE_TOKEN_NOT_FOUND']);

    const revoked = await api<TokenBody>(sandboxAdmin, 'DELETE', '/v1/tokens/sandbox-ci');
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ name: 'sandbox-ci', status: 'revoked', revokedBy: 'sandbox-admin' });
    const afterRevoke = await api(bearer(ownDeployer.body.secret as string), 'GET', '/v1/status');
    expect([afterRevoke.status, afterRevoke.body.error?.code]).toEqual([401, 'SWY_API_UNAUTHENTICATED']);

    // The list shows what reaches an environment the caller administers; * reaches them all.
    const seen = (await api<{ tokens: TokenBody[] }>(sandboxAdmin, 'GET', '/v1/tokens')).body.tokens.map((t) => t.name);
    expect(seen).toEqual(
      expect.arrayContaining(['admin', 'sandbox-admin', 'sandbox-ci', 'wide-ci', 'deployer-everywhere']),
    );
    expect(seen).not.toContain('staging-admin');
    expect(seen).not.toContain('staging-ci');
    expect(
      (await api<{ tokens: TokenBody[] }>(fleet.auth, 'GET', '/v1/tokens')).body.tokens.map((t) => t.name),
    ).toEqual(expect.arrayContaining(['staging-ci', 'staging-admin']));
  });

  it('refuses an expired token like a revoked one, saying it expired', async () => {
    const past = new Date(Date.now() - 5_000);
    const { secret } = await createToken(fleet.server.store, {
      name: 'expired-ci',
      roles: { '*': 'viewer' },
      expiresAt: past,
    });
    const refused = await api(bearer(secret), 'GET', '/v1/status');
    expect(refused.status).toBe(401);
    expect(refused.body.error).toMatchObject({
      code: 'SWY_API_TOKEN_EXPIRED',
      message: `The token expired-ci expired at ${past.toISOString()}`,
    });
    const listed = (await api<{ tokens: TokenBody[] }>(fleet.auth, 'GET', '/v1/tokens')).body.tokens.find(
      (t) => t.name === 'expired-ci',
    );
    expect(listed).toMatchObject({ status: 'expired', lastUsedAt: null });
  });

  it('refuses bad input with a 400 naming the field, before anything is made', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'late', roles: { sandbox: 'viewer' }, expires: '2000-01-01' }, 'is not in the future'],
      [{ name: 'soon', roles: { sandbox: 'viewer' }, expires: '10 days' }, 'expires must be a duration'],
      [{ name: 'bad-env', roles: { Production: 'viewer' } }, 'roles'],
      [{ name: 'bad-role', roles: { sandbox: 'root' } }, 'must be one of viewer, deployer, approver, admin'],
      [{ name: 'none', roles: {} }, 'give 1 to 50 roles'],
      [{ name: 'two\nlines', roles: { sandbox: 'viewer' } }, 'control character (a NUL byte, a newline…) in body.name'],
      [{ name: 'a b', roles: { sandbox: 'viewer' } }, 'name must be 1 to 100 letters'],
      [
        { name: 'nul', roles: { sandbox: 'viewer' }, description: 'a\u0000b' },
        'control character (a NUL byte, a newline…) in body.description',
      ],
      [{ name: 'long', roles: { sandbox: 'viewer' }, description: 'x'.repeat(1000) }, 'description'],
      [{ name: 'proto', roles: JSON.parse('{"__proto__": "admin"}') as Record<string, string> }, 'not valid JSON'],
      [{ name: 'extra', roles: { sandbox: 'viewer' }, secret: 'swy_mine' }, 'secret'],
    ];
    for (const [body, why] of cases) {
      const answer = await api(fleet.auth, 'POST', '/v1/tokens', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error?.message, JSON.stringify(body)).toContain(why);
    }
    const names = (await api<{ tokens: TokenBody[] }>(fleet.auth, 'GET', '/v1/tokens')).body.tokens.map((t) => t.name);
    for (const [body] of cases) expect(names).not.toContain(body['name']);
    await mint(fleet.auth, 'unique-name', { sandbox: 'viewer' });
    const taken = await mint(fleet.auth, 'unique-name', { sandbox: 'viewer' });
    expect([taken.status, taken.body.error?.code]).toEqual([409, 'SWY_STORE_TOKEN_NAME_TAKEN']);
  });

  it('audits every creation and revocation, refusals included, without a secret', async () => {
    const entries = (
      await api<{
        entries: {
          actor: string;
          action: string;
          outcome: string;
          environment: string | null;
          details: { status: number; error?: { code: string } };
        }[];
      }>(fleet.auth, 'GET', '/v1/audit?limit=1000')
    ).body.entries;
    const tokenEntries = entries.filter((e) => e.action.startsWith('token.'));
    expect(
      tokenEntries.some(
        (e) =>
          e.action === 'token.create' &&
          e.actor === 'sandbox-admin' &&
          e.outcome === 'succeeded' &&
          e.environment === 'sandbox',
      ),
    ).toBe(true);
    expect(
      tokenEntries.some(
        (e) => e.action === 'token.create' && e.actor === 'deployer-everywhere' && e.outcome === 'denied',
      ),
    ).toBe(true);
    expect(
      tokenEntries.some(
        (e) =>
          e.action === 'token.create' &&
          e.actor === 'sandbox-admin' &&
          e.outcome === 'denied' &&
          e.details.error?.code === 'SWY_API_FORBIDDEN',
      ),
    ).toBe(true);
    expect(
      tokenEntries.some((e) => e.action === 'token.revoke' && e.actor === 'sandbox-admin' && e.outcome === 'succeeded'),
    ).toBe(true);
    expect(
      tokenEntries.some((e) => e.action === 'token.revoke' && e.actor === 'sandbox-admin' && e.outcome === 'denied'),
    ).toBe(true);
    expect(JSON.stringify(entries)).not.toMatch(/swy_[A-Za-z0-9_-]{43}/);
  });

  it('is in the OpenAPI document like every route', async () => {
    const doc = (
      await api<{
        paths: Record<string, Record<string, { 'x-switchyard-action': string; parameters: { name: string }[] }>>;
      }>(fleet.auth, 'GET', '/v1/openapi.json')
    ).body;
    expect(doc.paths['/v1/tokens']?.['post']?.['x-switchyard-action']).toBe('manage-tokens');
    expect(doc.paths['/v1/tokens']?.['post']?.parameters.map((p) => p.name)).toContain('Idempotency-Key');
    expect(doc.paths['/v1/tokens']?.['get']?.['x-switchyard-action']).toBe('manage-tokens');
    expect(doc.paths['/v1/tokens/{id}']?.['delete']?.['x-switchyard-action']).toBe('manage-tokens');
  });
});

describe('switchyard token (the built CLI)', () => {
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    env = {
      SWITCHYARD_API: fleet.api,
      SWITCHYARD_TOKEN: fleet.server.adminToken as string,
      XDG_CONFIG_HOME: await mkdtemp(join(tmpdir(), 'sy-cli-home-')),
    };
  });

  it('creates a token, printing only its secret on stdout; lists it; revokes it by name', async () => {
    const created = await runCli(
      [
        'token',
        'create',
        'nightly',
        '--role',
        'sandbox=deployer',
        '--role',
        '*=viewer',
        '--expires',
        '2w',
        '--description',
        'nightly jobs',
      ],
      { env },
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^swy_[A-Za-z0-9_-]{43}\n$/);
    expect(created.stderr).toContain('not shown again');
    const secret = created.stdout.trim();
    expect((await api(bearer(secret), 'GET', '/v1/status')).status).toBe(200);

    const listed = await runCli(['token', 'list'], { env });
    expect(listed.code, listed.stderr).toBe(0);
    const [header, ...rows] = listed.stdout.trim().split('\n');
    expect(header?.split(/\s{2,}/)).toEqual([
      'ID',
      'NAME',
      'ROLES',
      'CREATED',
      'CREATED BY',
      'EXPIRES',
      'LAST USED',
      'REVOKED',
    ]);
    const row = rows.find((r) => r.includes(' nightly '));
    expect(row).toMatch(
      /^[0-9a-f-]{36} +nightly +\*=viewer,sandbox=deployer +\d{4}-\d\d-\d\d \d\d:\d\dZ +admin +\d{4}-\d\d-\d\d \d\d:\d\dZ +\d{4}-\d\d-\d\d \d\d:\d\dZ +-$/,
    );
    expect(listed.stdout).not.toContain(secret.slice(4));

    const revoked = await runCli(['token', 'revoke', 'nightly'], { env });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toMatch(/^✔ revoked token nightly \([0-9a-f-]{36}\) at .*; it no longer authenticates\n$/);
    expect((await api(bearer(secret), 'GET', '/v1/status')).status).toBe(401);
    const again = await runCli(['token', 'revoke', 'nightly'], { env });
    expect(again.code).toBe(66);
    expect(again.stderr).toContain('SWY_STORE_TOKEN_NOT_FOUND: No API token has the id or active name nightly');
  });

  it('says what is wrong with a command line before calling the API', async () => {
    const cases = [
      [['token', 'create', 'x'], 'Give the token at least one role'],
      [['token', 'create', 'x', '--role', 'sandbox'], '--role sandbox is not <env>=<role>'],
      [
        ['token', 'create', 'x', '--role', 'sandbox=root'],
        '--role sandbox=root: root is not a role; use one of viewer, deployer, approver, admin',
      ],
      [
        ['token', 'create', 'x', '--role', 'sandbox=viewer', '--role', 'sandbox=admin'],
        '--role gives sandbox two roles (viewer and admin): give one per environment',
      ],
    ] as const;
    // An API that does not answer: each of these must fail before calling it.
    const results = await Promise.all(
      cases.map(([args]) => runCli(args, { env: { ...env, SWITCHYARD_API: 'http://127.0.0.1:1' } })),
    );
    results.forEach((r, i) => {
      expect(r.code, r.stderr).toBe(64);
      expect(r.stderr).toContain(`SWY_CLI_USAGE: ${cases[i]?.[1]}`);
    });
  });

  it('answers a token that may not manage tokens, and an expired one, with their own codes', async () => {
    const deployer = (await createToken(fleet.server.store, { name: 'cli-deployer', roles: { '*': 'deployer' } }))
      .secret;
    const refused = await runCli(['token', 'create', 'y', '--role', 'sandbox=viewer'], {
      env: { ...env, SWITCHYARD_TOKEN: deployer },
    });
    expect(refused.code).toBe(77);
    expect(refused.stderr).toContain('SWY_API_FORBIDDEN');
    const expired = (
      await createToken(fleet.server.store, {
        name: 'cli-expired',
        roles: { '*': 'viewer' },
        expiresAt: new Date(Date.now() - 1000),
      })
    ).secret;
    const status = await runCli(['status'], { env: { ...env, SWITCHYARD_TOKEN: expired } });
    expect(status.code).toBe(77);
    expect(status.stderr).toContain('SWY_API_TOKEN_EXPIRED: The token cli-expired expired at');
  });
});
