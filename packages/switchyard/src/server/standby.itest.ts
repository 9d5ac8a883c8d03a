import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../errors/index.js';
import { freePort } from '../runtime/index.js';
import { MIGRATIONS } from '../store/index.js';
import { freshDatabase, INFRA_HINT, judgedCatalog, required, startPrometheus } from '../../test/support/bed.js';
import { runCli, writeConfig } from '../../test/support/cli.js';
import { startForeground, waitFor, type UpProcess } from '../../test/support/up.js';

/**
 * Three `switchyard server` replicas of one Kubernetes environment on one PostgreSQL store:
 * a release started and approved through a standby (its writes handed to the leader), the
 * leader killed with SIGKILL in the middle of a stage, a standby taking over and finishing the
 * release — every step once, none skipped, one config commit per change — and a standby that
 * has not taken over refusing writes with SWY_API_NO_LEADER once no replica leads.
 */

const KUBECONFIG = required('SWITCHYARD_TEST_KUBECONFIG');
const KUBECTL = join(required('SWITCHYARD_K8S_BIN'), 'kubectl');
const PG_URL = required('SWITCHYARD_TEST_PG_URL', INFRA_HINT);
const RUN = Date.now().toString(36);
const NAMESPACE = `it-${RUN}-standby`;

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): string {
  const done = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  if (done.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${done.stderr}`);
  return done.stdout;
}

/** Track → version label of the catalog's Deployments. */
function versions(): Record<string, string> {
  const list = JSON.parse(
    run(KUBECTL, ['-n', NAMESPACE, 'get', 'deployments', '-l', 'switchyard.dev/service=catalog-api', '-o', 'json'], {
      KUBECONFIG,
    }),
  ) as { items: { metadata: { labels: Record<string, string> } }[] };
  return Object.fromEntries(
    list.items
      .filter((d) => d.metadata.labels['switchyard.dev/track'])
      .map((d) => [d.metadata.labels['switchyard.dev/track'], d.metadata.labels['switchyard.dev/version']]),
  ) as Record<string, string>;
}

interface HistoryCommit {
  readonly releaseId: string | null;
  readonly trailers: Record<string, string>;
}

interface Replica {
  readonly name: string;
  readonly api: string;
  readonly dataDir: string;
  readonly process: UpProcess;
}

describe('replicas of switchyard server on one PostgreSQL store', () => {
  let dir: string;
  let storeUrl: string;
  let remote: string;
  let prometheus: ChildProcess;
  let token: string;
  const replicas: Replica[] = [];
  const cli = (api: string, args: string[]) =>
    runCli(args, { env: { SWITCHYARD_API: api, SWITCHYARD_TOKEN: token, KUBECONFIG, XDG_CONFIG_HOME: dir } });

  async function startReplica(
    name: string,
    flags: string[],
    env: NodeJS.ProcessEnv = {},
    store = storeUrl,
  ): Promise<Replica> {
    const api = `http://127.0.0.1:${await freePort('127.0.0.1')}`;
    const dataDir = mkdtempSync(join(tmpdir(), `sy-standby-${name}-`));
    const child = startForeground(
      [
        'server',
        dir,
        '--env',
        'staging',
        '--listen',
        new URL(api).host,
        '--data-dir',
        dataDir,
        '--config-remote',
        remote,
        ...flags,
      ],
      { KUBECONFIG, XDG_CONFIG_HOME: dataDir, SWITCHYARD_STORE_URL: store, ...env },
    );
    const replica = { name, api, dataDir, process: child };
    replicas.push(replica);
    await child.ready();
    return replica;
  }

  async function leaderOf(api: string): Promise<{ role: string; self: string; leader: { address: string } | null }> {
    const answer = await fetch(`${api}/v1/leader`, { headers: { authorization: `Bearer ${token}` } });
    return (await answer.json()) as { role: string; self: string; leader: { address: string } | null };
  }

  beforeAll(async () => {
    const prom = await startPrometheus();
    prometheus = prom.process;
    const catalog = judgedCatalog(prom.url);
    dir = await writeConfig({
      'services/catalog-api.yaml': catalog,
      'environments/staging.yaml': `kind: Environment\nname: staging\nruntime: kubernetes\ncluster: { context: switchyard-sandbox, namespace: ${NAMESPACE} }\n`,
    });
    run(KUBECTL, ['create', 'namespace', NAMESPACE], { KUBECONFIG });
    const applied = await runCli(['apply', dir, '--env', 'staging', '--timeout', '3m'], { env: { KUBECONFIG } });
    expect(applied.code, applied.stderr).toBe(0);
    storeUrl = await freshDatabase(PG_URL);
    remote = mkdtempSync(join(tmpdir(), 'sy-standby-remote-'));
    run('git', ['init', '--quiet', '--bare', '--initial-branch=main', remote]);
  }, 300_000);

  afterAll(async () => {
    for (const r of replicas) r.process.child.kill('SIGKILL');
    prometheus?.kill('SIGTERM');
    spawnSync(KUBECTL, ['delete', 'namespace', NAMESPACE, '--wait=false'], { env: { ...process.env, KUBECONFIG } });
  });

  it('hands writes to the leader, and a standby finishes the release the killed leader was running', async () => {
    // The leader dies right after rolling the second track (free), before recording it.
    const a = await startReplica('a', [], { SWITCHYARD_FAULT: 'kill-after:set-track:2' });
    token = readFileSync(join(a.dataDir, 'admin.token'), 'utf8').trim();
    const b = await startReplica('b', ['--leader-retry', '300ms']);
    // A standby that has not noticed anything for a long time: it serves reads and hands writes on.
    const c = await startReplica('c', ['--leader-retry', '1h']);
    expect(a.process.output()).toMatch(/★ leading \(term 1\)/);
    for (const standby of [b, c]) {
      expect(standby.process.output()).toContain("ⓘ admin token: this store's admin token was made by another replica");
      expect(standby.process.output()).toContain(`standby (${standby.api}): ${a.api} leads (term 1`);
      expect(standby.process.output()).not.toMatch(/★ leading/);
    }

    // Started and approved through a standby: each write is handed to the leader.
    const deploy = cli(b.api, ['deploy', 'catalog-api', '1.5.0', '--env', 'staging', '--reason', 'standby test']);
    await waitFor('the internal stage to wait for approval', () => versions().internal === '1.5.0', 120_000);
    let approved = { code: -1, stdout: '', stderr: '' };
    await waitFor(
      'the approval to be taken',
      async () => {
        approved = await cli(c.api, ['approve', 'catalog-api', '--env', 'staging']);
        return approved.code === 0;
      },
      60_000,
    );

    const died = await a.process.exit;
    const diedAt = Date.now();
    expect(died.signal).toBe('SIGKILL');
    let refusedMeanwhile = 0;
    let takeoverMs = -1;
    await waitFor(
      'a standby to take writes',
      async () => {
        const answer = await fetch(`${b.api}/v1/tokens`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: `probe-${randomUUID().slice(0, 8)}`, roles: { staging: 'viewer' } }),
        });
        if (answer.status === 503) refusedMeanwhile++;
        if (answer.status !== 201) return false;
        takeoverMs = Date.now() - diedAt;
        return true;
      },
      30_000,
    );
    process.stdout.write(
      `takeover: leader killed → standby serving writes in ${takeoverMs} ms (retry interval 300 ms; ${refusedMeanwhile} write(s) refused meanwhile)\n`,
    );
    expect(b.process.output()).toMatch(/★ leading \(term 2\)/);

    const done = await deploy;
    expect(done.code, `${done.stdout}\n${done.stderr}\n${b.process.output()}`).toBe(EXIT.ok);
    expect(done.stdout).toMatch(/catalog-api 1\.5\.0: succeeded/);
    expect(versions()).toEqual({ internal: '1.5.0', free: '1.5.0', paid: '1.5.0', production: '1.5.0' });

    // What the store recorded: every command once, none skipped, each settled by one event.
    let id: string;
    let records: string[];
    const db = new pg.Client({ connectionString: storeUrl });
    await db.connect();
    try {
      const [release] = (
        await db.query<{ id: string; status: string }>(
          `SELECT id, status FROM releases WHERE service = 'catalog-api' AND version = '1.5.0'`,
        )
      ).rows;
      expect(release?.status).toBe('succeeded');
      id = release?.id as string;
      const commands = (
        await db.query<{ seq: number; kind: string; status: string }>(
          `SELECT seq, command->>'kind' AS kind, status FROM release_commands WHERE release_id = $1 ORDER BY seq`,
          [id],
        )
      ).rows;
      expect(commands.map((c) => c.seq)).toEqual(commands.map((_, i) => i + 1));
      expect(commands.every((c) => c.status === 'done')).toBe(true);
      expect(commands.filter((c) => c.kind === 'set-track')).toHaveLength(4);
      const settled = (
        await db.query<{ seq: string; n: number }>(
          `SELECT payload->>'seq' AS seq, count(*)::integer AS n FROM release_events
           WHERE release_id = $1 AND type IN ('command-done', 'command-failed') GROUP BY 1`,
          [id],
        )
      ).rows;
      expect(settled).toHaveLength(commands.length);
      expect(settled.filter((s) => s.n !== 1)).toEqual([]);
      expect(
        (await db.query(`SELECT 1 FROM release_events WHERE release_id = $1 AND type = 'approve'`, [id])).rowCount,
      ).toBe(1);

      // One config commit per recorded change, whichever replica made it, none twice.
      records = commands.filter((c) => c.kind === 'record').map((c) => `${id}/${c.seq}`);
      const trailers = run('git', [
        '--git-dir',
        remote,
        'log',
        'main',
        '--format=%(trailers:key=Switchyard-Command,valueonly)',
      ])
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.startsWith(id));
      expect(records.length).toBeGreaterThanOrEqual(4);
      expect(trailers.sort()).toEqual(records.sort());
    } finally {
      await db.end();
    }

    // Standbys serve reads themselves, and say who leads.
    const status = await cli(c.api, ['status', '--env', 'staging']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`standby (${c.api}): ${b.api} leads (term 2`);
    // The new leader's config repository caught up with the commits the old one pushed.
    const history = await cli(b.api, ['history', 'catalog-api', '--env', 'staging', '-o', 'json']);
    expect(history.code, history.stderr).toBe(0);
    const commits = JSON.parse(history.stdout) as { commits?: HistoryCommit[] } | HistoryCommit[];
    const list = Array.isArray(commits) ? commits : (commits.commits ?? []);
    expect(
      list
        .filter((e) => e.releaseId === id)
        .map((e) => e.trailers['Switchyard-Command'])
        .sort(),
    ).toEqual(records.sort());
    expect(await leaderOf(c.api)).toMatchObject({ role: 'standby', leader: { address: b.api } });
    expect((await fetch(`${c.api}/readyz`)).status).toBe(200);
  }, 300_000);

  it('refuses writes with SWY_API_NO_LEADER while no replica leads, and says how to see who does', async () => {
    const [, b, c] = replicas as [Replica, Replica, Replica];
    b.process.child.kill('SIGKILL');
    await b.process.exit;
    // c tries the lock once an hour: until then no replica leads.
    const refused = await cli(c.api, ['token', 'create', 'after-the-leader', '--role', 'staging=viewer']);
    expect(refused.code, refused.stderr).toBe(EXIT.unavailable);
    expect(refused.stderr).toContain(`SWY_API_NO_LEADER: No replica leads: the leader at ${b.api} did not answer`);
    expect(refused.stderr).toMatch(/hint: Retry in a few seconds.*`switchyard status` \(or GET \/v1\/leader\)/);
    // Reads go on.
    const status = await cli(c.api, ['status', '--env', 'staging']);
    expect(status.code, status.stderr).toBe(0);
    expect(versions().production).toBe('1.5.0');
  }, 60_000);

  it('starts two replicas at once on an empty store: migrations once, one admin token, one leader', async () => {
    const empty = await freshDatabase();
    const both = await Promise.all([startReplica('d', [], {}, empty), startReplica('e', [], {}, empty)]);
    const tokens = both.filter((r) => existsSync(join(r.dataDir, 'admin.token')));
    expect(tokens).toHaveLength(1);
    token = readFileSync(join((tokens[0] as Replica).dataDir, 'admin.token'), 'utf8').trim();
    const other = both.find((r) => r !== tokens[0]) as Replica;
    expect(other.process.output()).toContain("ⓘ admin token: this store's admin token was made by another replica");
    const roles = await Promise.all(both.map(async (r) => (await leaderOf(r.api)).role));
    expect(roles.sort()).toEqual(['leader', 'standby']);
    const db = new pg.Client({ connectionString: empty });
    await db.connect();
    try {
      const versions = (await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY 1')).rows;
      expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version));
      const admins = await db.query(`SELECT 1 FROM api_tokens WHERE name = 'admin'`);
      expect(admins.rowCount).toBe(1);
    } finally {
      await db.end();
    }
  }, 120_000);
});
