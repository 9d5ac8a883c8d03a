import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { isSwitchyardError, SwitchyardError } from '../../errors/index.js';
import { localActor, recoverAdminToken, secureDataDir, tightenedLine } from '../../server/index.js';
import { openStore, ROLES, type Store } from '../../store/index.js';
import { API_OPTION, apiTarget, ENV_OPTION, callApi, credentialsFile, saveCredentials } from '../client.js';
import { printData, withOutput, type OutputFlags } from '../output.js';
import { paint, formatTable } from '../format.js';
import { defaultDataDir, pickLocalFleet } from './up.js';

/** A token as the API lists it. */
interface TokenView {
  id: string;
  name: string;
  roles: Record<string, string>;
  description: string | null;
  status: 'active' | 'expired' | 'revoked';
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
}

const usage = (message: string) => new SwitchyardError('SWY_CLI_USAGE', { message });

/** `--role staging=deployer --role '*=viewer'` → `{ staging: 'deployer', '*': 'viewer' }`. */
export function parseRoles(options: readonly string[]): Record<string, string> {
  if (options.length === 0)
    throw usage('Give the token at least one role: --role <env>=<role> (or --role *=<role> for every environment)');
  const roles: Record<string, string> = {};
  for (const option of options) {
    const [environment, role, ...rest] = option.split('=');
    if (!environment || !role || rest.length > 0)
      throw usage(
        `--role ${option} is not <env>=<role>: e.g. --role staging=deployer, or --role '*=viewer' for every environment`,
      );
    if (!(ROLES as readonly string[]).includes(role))
      throw usage(`--role ${option}: ${role} is not a role; use one of ${ROLES.join(', ')}`);
    if (roles[environment])
      throw usage(
        `--role gives ${environment} two roles (${roles[environment]} and ${role}): give one per environment`,
      );
    roles[environment] = role;
  }
  return roles;
}

const describeRoles = (roles: Record<string, string>) =>
  Object.entries(roles)
    .map(([env, role]) => `${env}=${role}`)
    .join(',');
const minute = (at: string | null) => (at ? `${at.slice(0, 16).replace('T', ' ')}Z` : '-');

function table(tokens: readonly TokenView[]): string {
  const rows = [['ID', 'NAME', 'ROLES', 'CREATED', 'CREATED BY', 'EXPIRES', 'LAST USED', 'REVOKED']];
  for (const t of tokens) {
    const expires = t.expiresAt ? `${minute(t.expiresAt)}${t.status === 'expired' ? ' (expired)' : ''}` : 'never';
    rows.push([
      t.id,
      t.name,
      describeRoles(t.roles),
      minute(t.createdAt),
      t.createdBy,
      expires,
      minute(t.lastUsedAt),
      t.revokedAt ? `${minute(t.revokedAt)} by ${t.revokedBy ?? '?'}` : '-',
    ]);
  }
  return formatTable(rows);
}

function registerApiCommands(token: Command): void {
  withOutput(
    token
      .command('create')
      .description(
        'Create an API token; its secret is printed once, alone on stdout (TOKEN=$(switchyard token create …))',
      )
      .argument('<name>', 'unique among active tokens; the audit log names the token by it')
      .option(
        '--role <env=role>',
        `a role in an environment, or * for every one (${ROLES.join(', ')}); repeat for more`,
        (v: string, all: string[]) => [...all, v],
        [] as string[],
      )
      .option('--expires <when>', '12h, 30d, 2w, a date (2027-01-31: 00:00 UTC) or an RFC 3339 time (default: never)')
      .option('--description <text>', 'what the token is for')
      .option(...API_OPTION)
      .option(...ENV_OPTION),
  ).action(
    async (
      name: string,
      opts: { role: string[]; expires?: string; description?: string; api?: string; env?: string } & OutputFlags,
    ) => {
      const body = {
        name,
        roles: parseRoles(opts.role),
        ...(opts.expires ? { expires: opts.expires } : {}),
        ...(opts.description ? { description: opts.description } : {}),
      };
      const created = await callApi<{ token: TokenView; secret: string }>(
        apiTarget(opts),
        'POST',
        '/v1/tokens',
        body,
        randomUUID(),
      );
      if (printData(opts, created)) return;
      const t = created.token;
      process.stderr.write(
        `${paint(process.stderr, 'green', '✔')} token ${t.name} (${t.id}): ${describeRoles(t.roles)}, expires ${t.expiresAt ?? 'never'}\n`,
      );
      process.stderr.write(
        '  its secret is below and is not shown again: keep it now (a CI secret, a password manager)\n',
      );
      process.stdout.write(`${created.secret}\n`);
    },
  );

  withOutput(
    token
      .command('list')
      .description(
        'The API tokens that reach an environment you administer: roles, creator, expiry, last use, revocation; never a secret',
      )
      .option(...API_OPTION)
      .option(...ENV_OPTION),
  ).action(async (opts: { api?: string; env?: string } & OutputFlags) => {
    const result = await callApi<{ tokens: TokenView[] }>(apiTarget(opts), 'GET', '/v1/tokens');
    if (!printData(opts, result)) process.stdout.write(`${table(result.tokens)}\n`);
  });

  token
    .command('revoke')
    .description('Revoke an API token (by id, or the name of an active token): it stops working at once')
    .argument('<id-or-name>')
    .option(...API_OPTION)
    .option(...ENV_OPTION)
    .action(async (idOrName: string, opts: { api?: string; env?: string }) => {
      const t = await callApi<TokenView>(
        apiTarget(opts),
        'DELETE',
        `/v1/tokens/${encodeURIComponent(idOrName)}`,
        undefined,
        randomUUID(),
      );
      process.stdout.write(
        `✔ revoked token ${t.name} (${t.id}) at ${t.revokedAt ?? '?'}; it no longer authenticates\n`,
      );
    });
}

/** Opens the data directory's store, saying plainly when a running server holds it. */
async function openOwnStore(dataDir: string, storeUrl: string | undefined): Promise<Store> {
  try {
    return await openStore(storeUrl ?? join(dataDir, 'store'));
  } catch (err) {
    if (!isSwitchyardError(err) || err.code !== 'SWY_STORE_LOCKED') throw err;
    throw new SwitchyardError('SWY_STORE_LOCKED', {
      message: `Switchyard is running on ${dataDir} (process ${String(err.details['pid'])}): stop it, then recover the admin token`,
      hint: 'Stop `switchyard up` (Ctrl-C where it runs), then run `switchyard token recover` again; the running server keeps its store locked.',
      cause: err,
      details: err.details,
    });
  }
}

function registerRecover(token: Command): void {
  token
    .command('recover')
    .description(
      "Give this machine's owner a new admin token when <data-dir>/admin.token is lost: revokes the old one, writes the new one to admin.token and the CLI credentials; the server must be stopped",
    )
    .argument('<config-dir>', 'the configuration directory `switchyard up` runs')
    .option('-e, --env <env>', 'environment (default: the first with runtime: local)')
    .option('--data-dir <dir>', 'the data directory (default: the one `switchyard up` uses)')
    .option('--store <url>', 'the postgres://… store `switchyard up` was given, if any')
    .action(async (dir: string, opts: { env?: string; dataDir?: string; store?: string }) => {
      const fleet = await pickLocalFleet(dir, opts.env);
      const dataDir = opts.dataDir ?? defaultDataDir(dir, fleet.environment.name);
      if (!existsSync(dataDir) || (!opts.store && !existsSync(join(dataDir, 'store')))) {
        throw new SwitchyardError('SWY_SERVER_DATA_DIR_NOT_FOUND', {
          message: `${dataDir} holds no Switchyard store: there is no admin token to recover`,
          details: { dataDir },
        });
      }
      const tightened = await secureDataDir(dataDir);
      if (tightened.length > 0) process.stdout.write(`⚠ ${tightenedLine(tightened)}\n`);
      const store = await openOwnStore(dataDir, opts.store);
      const recovered = await recoverAdminToken(store, dataDir).finally(() => store.close());
      const env = fleet.environment;
      const saved = await saveCredentials(`http://${env.local.host}:${env.local.apiPort}`, recovered.secret);
      if (saved.length > 0) process.stdout.write(`⚠ ${tightenedLine(saved)}\n`);
      for (const old of recovered.revoked) process.stdout.write(`✔ revoked the admin token ${old.id}\n`);
      if (recovered.revoked.length === 0) process.stdout.write('✔ no admin token was active\n');
      process.stdout.write(
        `✔ new admin token in ${recovered.file} (0600) and ${credentialsFile()}; audited as ${localActor()}\n`,
      );
    });
}

export function registerToken(program: Command): void {
  const token = program
    .command('token')
    .description("API tokens: create (the secret shown once), list, revoke; recover a data directory's admin token");
  registerApiCommands(token);
  registerRecover(token);
}
