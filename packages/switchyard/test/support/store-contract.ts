/**
 * The store's test suite, run unchanged against both engines: store.test.ts (embedded, in the
 * unit project) and store.itest.ts (PostgreSQL, in the integration project).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Alerter, DEFAULT_RULES, type AlertNotifier, type Notification } from '../../src/alerts/index.js';
import { isSwitchyardError, type SwitchyardError } from '../../src/errors/index.js';
import type { Finding, HealthReport } from '../../src/health/index.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import {
  abandonIdempotencyKey,
  appendAudit,
  appendReleaseEvent,
  claimIdempotencyKey,
  completeIdempotencyKey,
  createRelease,
  createToken,
  findActiveRelease,
  findToken,
  findTokenBySecret,
  getDesiredState,
  getRelease,
  hashSecret,
  listAlertHistory,
  listRuntimeEvents,
  listWaitingNotifications,
  loadAlertState,
  markAlertDelivered,
  markAlertDropped,
  recordAlertStep,
  recordRuntimeEvent,
  StoreAlertJournal,
  inspectSecret,
  listActiveReleases,
  listAudit,
  listCommands,
  listDesiredState,
  listEventsAfter,
  listPendingCommands,
  listReleaseEvents,
  listReleases,
  listTokens,
  migrate,
  putDesiredState,
  recordTransition,
  revokeToken,
  schemaVersions,
  settleCommand,
  type Store,
} from '../../src/store/index.js';

/** A receiver that is down until `up` is set, remembering what it took (the notifier port's contract). */
function receiver(name: string) {
  const taken: Notification[] = [];
  const r = { up: false, taken };
  const notifier: AlertNotifier = {
    receiver: name,
    send: async (n) => {
      if (!r.up) throw new Error('connection refused');
      taken.push(n);
    },
  };
  return { r, notifier };
}

function endpointsFinding(unit: string, since: Date): Finding {
  return {
    check: 'track-endpoints',
    severity: 'critical',
    unit,
    part: 'free',
    since: since.toISOString(),
    objects: [`${unit}-free-0`],
    message: 'track free has 1 of 2 ready endpoints',
    hint: 'Look at the replicas that are not ready.',
  };
}

const healthAt = (environment: string, at: Date, findings: Finding[]): HealthReport => ({
  environment,
  at: at.toISOString(),
  worst: findings.length ? 'critical' : 'ok',
  counts: { critical: findings.length, warning: 0, info: 0 },
  findings,
});

export interface FreshStore {
  readonly store: Store;
  /** Another client on the same database, as a second process would have (PostgreSQL only). */
  readonly another?: () => Promise<Store>;
}

export interface StoreHarness {
  readonly engine: Store['engine'];
  /** A new, empty database; migrated unless `migrate` is false. The caller closes it. */
  fresh(options?: { migrate?: boolean }): Promise<FreshStore>;
  /** Called once after every test (drops what fresh() created). */
  cleanup?(): Promise<void>;
}

/** The rejection of `promise`, which must reject with a SwitchyardError. */
export async function failure(promise: Promise<unknown>): Promise<SwitchyardError> {
  const outcome = await promise.then(
    (value) => ({ ok: true as const, value }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  if (outcome.ok) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  if (!isSwitchyardError(outcome.err)) throw outcome.err;
  return outcome.err;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

function newRelease(service: string, environment = 'production', extra: Record<string, unknown> = {}) {
  return {
    service,
    environment,
    version: '2.0.0',
    fromVersion: '1.0.0',
    plan: { stages: ['internal', 'free', 'paid', 'all'] },
    state: { stage: -1 },
    createdBy: 'alice',
    reason: 'ship it',
    ...extra,
  };
}

export function describeStoreContract(harness: StoreHarness): void {
  describe(`store contract (${harness.engine})`, () => {
    let store: Store;

    // Long enough for the first embedded store of a machine, which runs initdb.
    beforeAll(async () => {
      store = (await harness.fresh()).store;
    }, 120_000);
    afterAll(async () => {
      await store?.close();
      await harness.cleanup?.();
    });

    describe('migrations', () => {
      it('records every migration once, and a second run applies nothing', async () => {
        expect(await schemaVersions(store)).toEqual(MIGRATIONS.map((m) => m.version));
        expect(await migrate(store)).toEqual({ applied: [], version: MIGRATIONS.length });
        expect(await schemaVersions(store)).toEqual(MIGRATIONS.map((m) => m.version));
      });

      it('applies each migration once when two clients migrate at the same time', async () => {
        const { store: first, another } = await harness.fresh({ migrate: false });
        const second = another ? await another() : first;
        try {
          const reports = await Promise.all([migrate(first), migrate(second), migrate(first)]);
          expect(reports.flatMap((r) => r.applied).sort()).toEqual(MIGRATIONS.map((m) => m.version));
          const rows = await first.query<{ version: number; n: number }>(
            'SELECT version, count(*)::int AS n FROM schema_migrations GROUP BY version ORDER BY version',
          );
          expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, n: 1 })));
        } finally {
          if (second !== first) await second.close();
          await first.close();
        }
      });

      it('rolls a failing migration back whole and keeps the earlier ones', async () => {
        const { store: fresh } = await harness.fresh({ migrate: false });
        try {
          const broken = {
            version: MIGRATIONS.length + 1,
            name: 'broken',
            statements: ['CREATE TABLE half_done (a integer)', 'CREATE TABLE oops (a no_such_type)'],
          };
          const err = await failure(migrate(fresh, [...MIGRATIONS, broken]));
          expect(err.code).toBe('SWY_STORE_MIGRATION_FAILED');
          expect(err.message).toContain(`Migration ${broken.version} (broken) failed at statement 2`);
          expect(await schemaVersions(fresh)).toEqual(MIGRATIONS.map((m) => m.version));
          expect(await fresh.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'")).toEqual(
            [],
          );
        } finally {
          await fresh.close();
        }
      });

      it('refuses a database migrated by a newer Switchyard', async () => {
        const { store: fresh } = await harness.fresh();
        try {
          await fresh.query("INSERT INTO schema_migrations (version, name) VALUES (999, 'from the future')");
          const err = await failure(migrate(fresh));
          expect(err.code).toBe('SWY_STORE_SCHEMA_TOO_NEW');
          expect(err.message).toContain('schema version 999');
        } finally {
          await fresh.close();
        }
      });

      it('keeps the tokens of a version-1 store working after the token migration', async () => {
        const { store: fresh } = await harness.fresh({ migrate: false });
        try {
          await migrate(fresh, MIGRATIONS.slice(0, 1));
          const secret = `swy_${'a'.repeat(43)}`;
          await fresh.query(
            `INSERT INTO api_tokens (id, name, token_hash, roles) VALUES ('old-admin', 'admin', $1, '{"*":"admin"}'::jsonb)`,
            [hashSecret(secret)],
          );
          await migrate(fresh);
          expect(await listTokens(fresh)).toEqual([
            {
              id: 'old-admin',
              name: 'admin',
              roles: { '*': 'admin' },
              description: null,
              createdAt: expect.any(Date),
              createdBy: 'system',
              expiresAt: null,
              lastUsedAt: null,
              revokedAt: null,
              revokedBy: null,
            },
          ]);
          expect(await findTokenBySecret(fresh, secret)).toMatchObject({
            id: 'old-admin',
            lastUsedAt: expect.any(Date),
          });
        } finally {
          await fresh.close();
        }
      });
    });

    describe('transactions', () => {
      it('never interleaves two transactions, and rolls back only the failing one', async () => {
        const table = unique('t').replace('-', '_');
        await store.query(`CREATE TABLE ${table} (name text)`);
        const failing = store.transaction(async (tx) => {
          await tx.query(`INSERT INTO ${table} VALUES ('a')`);
          await sleep(30);
          throw new Error('boom');
        });
        const passing = store.transaction(async (tx) => {
          await tx.query(`INSERT INTO ${table} VALUES ('b')`);
          await sleep(10);
          await tx.query(`INSERT INTO ${table} VALUES ('c')`);
        });
        const alone = store.query(`INSERT INTO ${table} VALUES ('d')`);
        await expect(failing).rejects.toThrow('boom');
        await passing;
        await alone;
        expect(
          (await store.query<{ name: string }>(`SELECT name FROM ${table} ORDER BY name`)).map((r) => r.name),
        ).toEqual(['b', 'c', 'd']);
      });

      it('nests as savepoints: an inner failure leaves the outer work', async () => {
        const table = unique('t').replace('-', '_');
        await store.query(`CREATE TABLE ${table} (name text)`);
        await store.transaction(async (tx) => {
          await tx.query(`INSERT INTO ${table} VALUES ('outer')`);
          await expect(
            tx.transaction(async (inner) => {
              await inner.query(`INSERT INTO ${table} VALUES ('inner')`);
              await inner.query('SELECT no_such_column');
            }),
          ).rejects.toMatchObject({ code: 'SWY_STORE_QUERY_FAILED' });
        });
        expect(await store.query(`SELECT name FROM ${table}`)).toEqual([{ name: 'outer' }]);
      });

      it('does not commit a transaction whose failed statement was caught', async () => {
        const table = unique('t').replace('-', '_');
        await store.query(`CREATE TABLE ${table} (name text)`);
        const err = await failure(
          store.transaction(async (tx) => {
            await tx.query(`INSERT INTO ${table} VALUES ('lost')`);
            await tx.query('SELECT no_such_column').catch(() => undefined);
            return 'done';
          }),
        );
        expect(err).toMatchObject({ code: 'SWY_STORE_QUERY_FAILED', details: { sqlState: '42703' } });
        expect(await store.query(`SELECT name FROM ${table}`)).toEqual([]);
      });

      it('refuses a query on the store from inside its own transaction', async () => {
        const err = await failure(store.transaction(() => store.query('SELECT 1')));
        expect(err.code).toBe('SWY_INTERNAL_ERROR');
        expect(err.message).toContain('must use the transaction client');
      });

      it('returns the same JavaScript types on every engine', async () => {
        const [row] = await store.query<Record<string, unknown>>(
          'SELECT 9007199254740::bigint AS big, 7::integer AS int, now() AS at, \'{"a":[1]}\'::jsonb AS doc, $1::jsonb AS param',
          [JSON.stringify({ b: 'x' })],
        );
        expect(row).toEqual({ big: 9007199254740, int: 7, at: expect.any(Date), doc: { a: [1] }, param: { b: 'x' } });
      });
    });

    describe('releases', () => {
      it('creates, reads and lists releases', async () => {
        const service = unique('api');
        const created = await createRelease(store, newRelease(service));
        expect(created).toMatchObject({
          service,
          environment: 'production',
          version: '2.0.0',
          fromVersion: '1.0.0',
          status: 'running',
          revision: 1,
          createdBy: 'alice',
          reason: 'ship it',
          state: { stage: -1 },
        });
        expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(await getRelease(store, created.id)).toEqual(created);
        expect(await findActiveRelease(store, service, 'production')).toEqual(created);
        expect(await findActiveRelease(store, service, 'staging')).toBeUndefined();
        expect((await listReleases(store, { service })).map((r) => r.id)).toEqual([created.id]);
        expect((await listActiveReleases(store)).map((r) => r.id)).toContain(created.id);
        expect(await getRelease(store, randomUUID())).toBeUndefined();
      });

      it('lets exactly one of ten concurrent deploys win, and names it to the others', async () => {
        const service = unique('api');
        const outcomes = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) =>
            createRelease(store, newRelease(service, 'production', { version: `3.0.${i}` })),
          ),
        );
        const winners = outcomes.filter((o) => o.status === 'fulfilled');
        const losers = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(winners).toHaveLength(1);
        expect(losers).toHaveLength(9);
        const winner = (winners[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof createRelease>>>).value;
        for (const loser of losers) {
          expect(loser.reason).toMatchObject({
            code: 'SWY_RELEASE_CONFLICT',
            status: 409,
            details: { activeReleaseId: winner.id, service, environment: 'production' },
          });
          expect((loser.reason as Error).message).toContain(`release ${winner.id}`);
        }
        expect(await listReleases(store, { service })).toHaveLength(1);
      });

      it('allows a new release once the active one has ended, and one per environment', async () => {
        const service = unique('api');
        const first = await createRelease(store, newRelease(service));
        await createRelease(store, newRelease(service, 'staging'));
        await recordTransition(store, {
          releaseId: first.id,
          event: { type: 'finish' },
          state: { done: true },
          status: 'succeeded',
        });
        const second = await createRelease(store, newRelease(service));
        expect((await findActiveRelease(store, service, 'production'))?.id).toBe(second.id);
        // The ended release cannot become active again beside the new one.
        const err = await failure(
          recordTransition(store, { releaseId: first.id, event: { type: 'resume' }, state: {}, status: 'running' }),
        );
        expect(err).toMatchObject({ code: 'SWY_RELEASE_CONFLICT', details: { activeReleaseId: second.id } });
        expect((await getRelease(store, first.id))?.status).toBe('succeeded');
      });
    });

    describe('transitions, events and commands', () => {
      it('records state, event and commands together, and settles commands', async () => {
        const release = await createRelease(store, newRelease(unique('api')));
        const t = await recordTransition(store, {
          releaseId: release.id,
          event: {
            type: 'start',
            payload: { type: 'start', at: '2026-01-01T00:00:00.000Z' },
            at: '2026-01-01T00:00:00.000Z',
          },
          state: { stage: 0, awaiting: [1, 2] },
          status: 'running',
          commands: [
            { seq: 2, command: { kind: 'set-share', group: 'free', share: 5 } },
            { seq: 1, command: { kind: 'set-track', track: 'free-canary', version: '2.0.0' } },
          ],
        });
        expect(t.revision).toBe(2);
        expect(await getRelease(store, release.id)).toMatchObject({
          state: { stage: 0, awaiting: [1, 2] },
          status: 'running',
          revision: 2,
        });
        const events = await listReleaseEvents(store, release.id);
        expect(events).toEqual([
          {
            seq: t.eventSeq,
            releaseId: release.id,
            at: new Date('2026-01-01T00:00:00.000Z'),
            type: 'start',
            payload: { type: 'start', at: '2026-01-01T00:00:00.000Z' },
            // The state right after the event, kept with it: a replay shows each step as it was.
            state: { stage: 0, awaiting: [1, 2] },
          },
        ]);
        const pending = await listPendingCommands(store, release.id);
        expect(pending.map((c) => [c.seq, c.command, c.status])).toEqual([
          [1, { kind: 'set-track', track: 'free-canary', version: '2.0.0' }, 'pending'],
          [2, { kind: 'set-share', group: 'free', share: 5 }, 'pending'],
        ]);

        const done = await settleCommand(store, {
          releaseId: release.id,
          seq: 1,
          status: 'done',
          result: { ok: true },
        });
        expect(done).toMatchObject({ seq: 1, status: 'done', result: { ok: true } });
        // A second report of the same command changes nothing.
        expect(
          await settleCommand(store, { releaseId: release.id, seq: 1, status: 'failed', result: 'late' }),
        ).toMatchObject({ status: 'done', result: { ok: true } });
        expect((await listPendingCommands(store, release.id)).map((c) => c.seq)).toEqual([2]);

        // Settling through the transition that reports it: one transaction.
        const t2 = await recordTransition(store, {
          releaseId: release.id,
          event: { type: 'command-done', payload: { seq: 2 } },
          state: { stage: 0, awaiting: [] },
          status: 'running',
          settle: [{ seq: 2, status: 'failed', result: { error: 'router down' } }],
        });
        expect(t2.eventSeq).toBeGreaterThan(t.eventSeq);
        expect(await listPendingCommands(store, release.id)).toEqual([]);
        expect((await listCommands(store, release.id)).map((c) => [c.seq, c.status, c.result])).toEqual([
          [1, 'done', { ok: true }],
          [2, 'failed', { error: 'router down' }],
        ]);
        expect(await failure(settleCommand(store, { releaseId: release.id, seq: 99, status: 'done' }))).toMatchObject({
          code: 'SWY_STORE_COMMAND_NOT_FOUND',
        });
      });

      it('rolls the whole transition back when a command cannot be stored', async () => {
        const release = await createRelease(store, newRelease(unique('api')));
        await recordTransition(store, {
          releaseId: release.id,
          event: { type: 'start' },
          state: { step: 1 },
          status: 'running',
          commands: [{ seq: 1, command: { kind: 'snapshot' } }],
        });
        const before = await getRelease(store, release.id);
        const eventsBefore = await listReleaseEvents(store, release.id);
        // seq 1 exists already: the command insert fails after the state update and the event.
        const err = await failure(
          recordTransition(store, {
            releaseId: release.id,
            event: { type: 'tick' },
            state: { step: 2 },
            status: 'paused',
            commands: [
              { seq: 2, command: { kind: 'measure' } },
              { seq: 1, command: { kind: 'measure' } },
            ],
          }),
        );
        expect(err.code).toBe('SWY_STORE_QUERY_FAILED');
        expect(await getRelease(store, release.id)).toEqual(before);
        expect(await listReleaseEvents(store, release.id)).toEqual(eventsBefore);
        expect((await listCommands(store, release.id)).map((c) => c.seq)).toEqual([1]);
        // So does settling a command the release never had.
        await failure(
          recordTransition(store, {
            releaseId: release.id,
            event: { type: 'command-done' },
            state: { step: 3 },
            status: 'running',
            settle: [{ seq: 42, status: 'done' }],
          }),
        );
        expect(await getRelease(store, release.id)).toEqual(before);
      });

      it('joins the caller transaction, and rolls back with it', async () => {
        const release = await createRelease(store, newRelease(unique('api')));
        await expect(
          store.transaction(async (tx) => {
            await recordTransition(tx, {
              releaseId: release.id,
              event: { type: 'tick' },
              state: { n: 1 },
              status: 'running',
              commands: [{ seq: 1, command: {} }],
            });
            throw new Error('the caller failed afterwards');
          }),
        ).rejects.toThrow('the caller failed afterwards');
        expect(await listReleaseEvents(store, release.id)).toEqual([]);
        expect(await listCommands(store, release.id)).toEqual([]);
      });

      it('refuses a stale revision and an unknown release', async () => {
        const release = await createRelease(store, newRelease(unique('api')));
        await recordTransition(store, {
          releaseId: release.id,
          event: { type: 'a' },
          state: {},
          status: 'running',
          expectedRevision: 1,
        });
        expect(
          await failure(
            recordTransition(store, {
              releaseId: release.id,
              event: { type: 'b' },
              state: {},
              status: 'running',
              expectedRevision: 1,
            }),
          ),
        ).toMatchObject({
          code: 'SWY_STORE_RELEASE_STALE',
          details: { revision: 2, expectedRevision: 1 },
        });
        const missing = randomUUID();
        expect(
          await failure(
            recordTransition(store, { releaseId: missing, event: { type: 'a' }, state: {}, status: 'running' }),
          ),
        ).toMatchObject({ code: 'SWY_RELEASE_NOT_FOUND', details: { releaseId: missing } });
        expect(await failure(appendReleaseEvent(store, missing, { type: 'note' }))).toMatchObject({
          code: 'SWY_RELEASE_NOT_FOUND',
        });
      });

      it('lists events in order per release and across releases after a seq', async () => {
        const a = await createRelease(store, newRelease(unique('api')));
        const b = await createRelease(store, newRelease(unique('web')));
        const start = (await listEventsAfter(store, 0, 100_000)).at(-1)?.seq ?? 0;
        const s1 = await appendReleaseEvent(store, a.id, { type: 'one', payload: { n: 1 } });
        const s2 = (
          await recordTransition(store, { releaseId: b.id, event: { type: 'two' }, state: {}, status: 'running' })
        ).eventSeq;
        const s3 = await appendReleaseEvent(store, a.id, { type: 'three' });
        expect(s1 < s2 && s2 < s3).toBe(true);
        const after = await listEventsAfter(store, start);
        expect(after.map((e) => [e.seq, e.releaseId, e.type])).toEqual([
          [s1, a.id, 'one'],
          [s2, b.id, 'two'],
          [s3, a.id, 'three'],
        ]);
        expect((await listEventsAfter(store, s1)).map((e) => e.seq)).toEqual([s2, s3]);
        expect((await listEventsAfter(store, start, 2)).map((e) => e.seq)).toEqual([s1, s2]);
        expect((await listReleaseEvents(store, a.id)).map((e) => e.type)).toEqual(['one', 'three']);
        expect((await listReleaseEvents(store, a.id, { afterSeq: s1 })).map((e) => e.type)).toEqual(['three']);
      });

      it('keeps release events append-only', async () => {
        const release = await createRelease(store, newRelease(unique('api')));
        await appendReleaseEvent(store, release.id, { type: 'note' });
        for (const sql of [
          'UPDATE release_events SET type = $1 WHERE release_id = $1',
          'DELETE FROM release_events WHERE release_id = $1',
        ]) {
          expect(await failure(store.query(sql, [release.id]))).toMatchObject({
            code: 'SWY_STORE_QUERY_FAILED',
            details: { sqlState: '42501' },
          });
        }
        expect((await listReleaseEvents(store, release.id)).map((e) => e.type)).toEqual(['note']);
      });
    });

    describe('desired state', () => {
      it('upserts, reads and lists per environment', async () => {
        const service = unique('api');
        const state = {
          tracks: { stable: { version: '1.0.0', replicas: 3 } },
          routing: { shares: { free: 5 }, legacyShare: 0 },
        };
        const put = await putDesiredState(store, { environment: 'staging', service, state });
        expect(put).toMatchObject({ environment: 'staging', service, state, releaseId: null });
        const changed = { ...state, routing: { shares: { free: 100 }, legacyShare: 0 } };
        await putDesiredState(store, { environment: 'staging', service, state: changed, releaseId: 'r-1' });
        await putDesiredState(store, { environment: 'production', service, state });
        expect(await getDesiredState(store, 'staging', service)).toMatchObject({ state: changed, releaseId: 'r-1' });
        expect(await getDesiredState(store, 'qa', service)).toBeUndefined();
        const mine = (rows: { service: string; environment: string }[]) =>
          rows.filter((r) => r.service === service).map((r) => r.environment);
        expect(mine(await listDesiredState(store))).toEqual(['production', 'staging']);
        expect(mine(await listDesiredState(store, 'staging'))).toEqual(['staging']);
      });
    });

    describe('API tokens', () => {
      it('stores only the hash of the secret', async () => {
        const { token, secret } = await createToken(store, {
          name: unique('ci'),
          roles: { staging: 'deployer', '*': 'viewer' },
        });
        expect(secret).toMatch(/^swy_[A-Za-z0-9_-]{43}$/);
        expect(token).toMatchObject({ roles: { staging: 'deployer', '*': 'viewer' }, revokedAt: null });
        const raw = await store.query('SELECT * FROM api_tokens WHERE id = $1', [token.id]);
        expect(raw).toHaveLength(1);
        const dump = JSON.stringify(raw);
        expect(dump).not.toContain(secret);
        expect(dump).not.toContain(secret.slice(4));
        expect(raw[0]?.['token_hash']).toBe(hashSecret(secret));
        expect(JSON.stringify(await listTokens(store))).not.toContain(secret.slice(4));
      });

      it('finds a token by its secret until it is revoked, and says who revoked it', async () => {
        const { token, secret } = await createToken(store, {
          name: unique('deployer'),
          roles: { production: 'approver' },
          createdBy: 'root',
          description: 'CI of the catalog team',
        });
        expect(token).toMatchObject({
          createdBy: 'root',
          description: 'CI of the catalog team',
          expiresAt: null,
          lastUsedAt: null,
          revokedBy: null,
        });
        expect(await findTokenBySecret(store, secret)).toMatchObject({ ...token, lastUsedAt: expect.any(Date) });
        expect(
          await findTokenBySecret(store, `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`),
        ).toBeUndefined();
        expect(await findTokenBySecret(store, 'not-a-token')).toBeUndefined();
        const revoked = await revokeToken(store, token.id, 'alice');
        expect(revoked).toMatchObject({ revokedAt: expect.any(Date), revokedBy: 'alice' });
        expect(await findTokenBySecret(store, secret)).toBeUndefined();
        expect(await inspectSecret(store, secret)).toMatchObject({ state: 'revoked', token: { id: token.id } });
        // Revoking again keeps the first revocation: its time and its author.
        expect(await revokeToken(store, token.id, 'bob')).toMatchObject({
          revokedAt: revoked.revokedAt,
          revokedBy: 'alice',
        });
        expect((await listTokens(store)).find((t) => t.id === token.id)).toMatchObject({
          revokedAt: revoked.revokedAt,
          revokedBy: 'alice',
        });
        expect(await failure(revokeToken(store, 'no-such-token'))).toMatchObject({ code: 'SWY_STORE_TOKEN_NOT_FOUND' });
        expect((await createToken(store, { name: unique('bot'), roles: { '*': 'viewer' } })).token.createdBy).toBe(
          'system',
        );
      });

      it('records last use at most once a minute, however many requests a token makes', async () => {
        const { token, secret } = await createToken(store, { name: unique('busy'), roles: { staging: 'viewer' } });
        const first = (await findTokenBySecret(store, secret))?.lastUsedAt;
        expect(first).toBeInstanceOf(Date);
        for (let i = 0; i < 5; i++) expect((await findTokenBySecret(store, secret))?.lastUsedAt).toEqual(first);
        expect((await findToken(store, token.id))?.lastUsedAt).toEqual(first);
        // A minute later, the next authentication writes it again.
        await store.query("UPDATE api_tokens SET last_used_at = now() - interval '61 seconds' WHERE id = $1", [
          token.id,
        ]);
        const aged = (await findToken(store, token.id))?.lastUsedAt as Date;
        const next = (await findTokenBySecret(store, secret))?.lastUsedAt as Date;
        expect(next.getTime()).toBeGreaterThan(aged.getTime() + 60_000);
        // Concurrent requests on a stale token: every one authenticates, one write settles it.
        await store.query("UPDATE api_tokens SET last_used_at = now() - interval '61 seconds' WHERE id = $1", [
          token.id,
        ]);
        const racing = await Promise.all(Array.from({ length: 6 }, () => findTokenBySecret(store, secret)));
        expect(racing.every((t) => t?.id === token.id)).toBe(true);
        expect(new Set(racing.map((t) => t?.lastUsedAt?.getTime())).size).toBeLessThanOrEqual(2);
      });

      it('refuses an expired token, saying when it expired, and records no use', async () => {
        const past = new Date(Date.now() - 60_000);
        const { token, secret } = await createToken(store, {
          name: unique('old'),
          roles: { staging: 'viewer' },
          expiresAt: past,
        });
        expect(token.expiresAt?.toISOString()).toBe(past.toISOString());
        const err = await failure(findTokenBySecret(store, secret));
        expect(err).toMatchObject({
          code: 'SWY_API_TOKEN_EXPIRED',
          status: 401,
          message: `The token ${token.name} expired at ${past.toISOString()}`,
        });
        expect(await inspectSecret(store, secret)).toMatchObject({ state: 'expired' });
        expect((await findToken(store, token.id))?.lastUsedAt).toBeNull();

        const soon = await createToken(store, {
          name: unique('soon'),
          roles: { staging: 'viewer' },
          expiresAt: new Date(Date.now() + 1500),
        });
        expect(await findTokenBySecret(store, soon.secret)).toMatchObject({ id: soon.token.id });
        await sleep(1600);
        expect(await failure(findTokenBySecret(store, soon.secret))).toMatchObject({ code: 'SWY_API_TOKEN_EXPIRED' });
        // Revoked wins over expired: a revoked token is simply unknown.
        await revokeToken(store, token.id);
        expect(await findTokenBySecret(store, secret)).toBeUndefined();
      });

      it('keeps names unique among active tokens, and frees a name when its token is revoked', async () => {
        const name = unique('ci');
        const first = await createToken(store, { name, roles: { staging: 'deployer' } });
        expect(await failure(createToken(store, { name, roles: { '*': 'viewer' } }))).toMatchObject({
          code: 'SWY_STORE_TOKEN_NAME_TAKEN',
          status: 409,
          message: `An active API token is already named ${name}`,
        });
        expect(await findToken(store, name)).toMatchObject({ id: first.token.id });
        await revokeToken(store, first.token.id);
        expect(await findToken(store, name)).toBeUndefined();
        const second = await createToken(store, { name, roles: { staging: 'deployer' } });
        expect(await findToken(store, name)).toMatchObject({ id: second.token.id });
        expect(await findToken(store, first.token.id)).toMatchObject({
          id: first.token.id,
          revokedAt: expect.any(Date),
        });

        const raced = unique('raced');
        const outcomes = await Promise.allSettled(
          Array.from({ length: 6 }, () => createToken(store, { name: raced, roles: { staging: 'viewer' } })),
        );
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        for (const o of outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected'))
          expect(o.reason).toMatchObject({ code: 'SWY_STORE_TOKEN_NAME_TAKEN' });
      });

      it('refuses unknown roles, bad environment names, empty or too many grants, and bad names or descriptions', async () => {
        expect(await failure(createToken(store, { name: 'x', roles: { production: 'root' as never } }))).toMatchObject({
          code: 'SWY_STORE_TOKEN_INVALID',
          details: { environment: 'production', role: 'root' },
        });
        expect(await failure(createToken(store, { name: 'x', roles: {} }))).toMatchObject({
          code: 'SWY_STORE_TOKEN_INVALID',
        });
        const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`env-${i}`, 'viewer'] as const));
        expect((await failure(createToken(store, { name: 'x', roles: many }))).message).toContain('at most 50');
        for (const environment of ['Production', 'a b', '', '-x', 'prod\u0000', '**']) {
          expect(
            await failure(createToken(store, { name: 'x', roles: { [environment]: 'viewer' } })),
            environment,
          ).toMatchObject({ code: 'SWY_STORE_TOKEN_INVALID' });
        }
        for (const name of [
          ' ',
          'a\nb',
          'nul\u0000',
          'x'.repeat(101),
          '-lead',
          'a b',
          '5f0c1a2b-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
        ]) {
          expect(
            await failure(createToken(store, { name, roles: { '*': 'viewer' } })),
            JSON.stringify(name),
          ).toMatchObject({ code: 'SWY_STORE_TOKEN_INVALID' });
        }
        for (const description of ['two\nlines', 'x'.repeat(501)]) {
          expect(
            await failure(createToken(store, { name: unique('d'), roles: { '*': 'viewer' }, description })),
          ).toMatchObject({ code: 'SWY_STORE_TOKEN_INVALID' });
        }
        expect(
          (await createToken(store, { name: unique('ci.bot@team_a'), roles: { 'qa-2': 'viewer' } })).token.roles,
        ).toEqual({ 'qa-2': 'viewer' });
      });
    });

    describe('alert history', () => {
      const note = (environment: string, service: string, status: Notification['status'], at: string) => ({
        status,
        environment,
        service,
        at,
        findings: [{ ...endpointsFinding(service, new Date(at)), rule: 'critical' }],
      });

      it('keeps state and notifications of a step together, what waits per receiver, and when each took it', async () => {
        const env = unique('env');
        const state = {
          [`${env}/api`]: { lastSentAt: '2026-03-02T10:00:00.000Z', keys: ['k1'], findings: [] },
          'other/api': { lastSentAt: '2026-03-02T10:00:00.000Z', keys: ['k2'], findings: [] },
        };
        const [id] = await recordAlertStep(
          store,
          env,
          state,
          [note(env, 'api', 'firing', '2026-03-02T10:00:00.000Z')],
          ['ops', 'pager'],
        );
        expect(await loadAlertState(store, env)).toEqual({ [`${env}/api`]: state[`${env}/api`] });
        expect((await listWaitingNotifications(store, env)).map((w) => [w.id, w.receiver])).toEqual([
          [id, 'ops'],
          [id, 'pager'],
        ]);
        await markAlertDelivered(store, id as string, 'ops', new Date('2026-03-02T10:00:05Z'));
        await markAlertDropped(store, id as string, 'pager', new Date('2026-03-02T10:00:06Z'));
        expect(await listWaitingNotifications(store, env)).toEqual([]);
        const [row] = await listAlertHistory(store, env, {
          since: new Date('2026-03-02T09:00:00Z'),
          until: new Date('2026-03-02T11:00:00Z'),
        });
        expect(row).toMatchObject({
          id,
          status: 'firing',
          service: 'api',
          at: '2026-03-02T10:00:00.000Z',
          findings: [{ check: 'track-endpoints', part: 'free', rule: 'critical' }],
          deliveries: [
            { receiver: 'ops', deliveredAt: '2026-03-02T10:00:05.000Z', droppedAt: null },
            { receiver: 'pager', deliveredAt: null, droppedAt: '2026-03-02T10:00:06.000Z' },
          ],
        });
        // A group that resolved is forgotten; the history keeps both notifications, oldest first.
        await recordAlertStep(store, env, {}, [note(env, 'api', 'resolved', '2026-03-02T10:05:00.000Z')], []);
        expect(await loadAlertState(store, env)).toEqual({});
        const window = { since: new Date('2026-03-02T09:00:00Z'), until: new Date('2026-03-02T11:00:00Z') };
        expect((await listAlertHistory(store, env, window)).map((n) => n.status)).toEqual(['firing', 'resolved']);
        expect(await listAlertHistory(store, env, { ...window, service: 'web' })).toEqual([]);
        expect(await listAlertHistory(store, env, { ...window, until: new Date('2026-03-02T10:00:00Z') })).toEqual([]);
      });

      it('keeps nothing of a step whose notification cannot be stored', async () => {
        const env = unique('env');
        const bad = { ...note(env, 'api', 'firing', '2026-03-02T10:00:00.000Z'), at: 'not a time' };
        await failure(
          recordAlertStep(store, env, { [`${env}/api`]: { lastSentAt: 'x', keys: [], findings: [] } }, [bad], ['ops']),
        );
        expect(await loadAlertState(store, env)).toEqual({});
      });

      it('neither notifies a firing group again nor loses a notification when the alerts start over on the same store', async () => {
        const env = unique('env');
        const t0 = new Date('2026-03-02T10:00:00Z');
        const at = (s: number) => new Date(t0.getTime() + s * 1000);
        const config = {
          rules: DEFAULT_RULES,
          repeatMs: 3600_000,
          receivers: [{ name: 'ops', type: 'webhook' as const, urlFrom: 'OPS_URL' }],
        };
        const alerter = (notifier: AlertNotifier) =>
          new Alerter({
            environment: env,
            config: () => config,
            silences: async () => [],
            notifier: () => notifier,
            journal: new StoreAlertJournal(store),
            outbox: { initialDelayMs: 20, maxDelayMs: 20 },
          });
        const never = () => new Promise<HealthReport>(() => undefined);
        const firing = [endpointsFinding('api', t0)];

        const first = receiver('ops');
        const before = alerter(first.notifier);
        before.start(never, 3600_000);
        await before.observe(healthAt(env, at(60), firing), at(60));
        await sleep(50);
        expect(before.waiting()).toBe(1);
        before.stop();

        // The next leader: its receiver is back; what waited is sent once, and the group, still firing, is not notified again.
        const second = receiver('ops');
        second.r.up = true;
        const after = alerter(second.notifier);
        after.start(never, 3600_000);
        await after.observe(healthAt(env, at(90), firing), at(90));
        await after.observe(healthAt(env, at(120), firing), at(120));
        for (let i = 0; i < 50 && second.r.taken.length === 0; i++) await sleep(20);
        await sleep(50);
        expect(first.r.taken).toEqual([]);
        expect(second.r.taken.map((n) => [n.status, n.service, n.at])).toEqual([
          ['firing', 'api', at(60).toISOString()],
        ]);
        for (let i = 0; i < 50 && (await listWaitingNotifications(store, env)).length > 0; i++) await sleep(20);
        expect(await listWaitingNotifications(store, env)).toEqual([]);

        // It resolves once, on the new leader, and the history holds both with their deliveries.
        await after.observe(healthAt(env, at(150), []), at(150));
        for (let i = 0; i < 50 && second.r.taken.length < 2; i++) await sleep(20);
        after.stop();
        expect(second.r.taken.map((n) => n.status)).toEqual(['firing', 'resolved']);
        // A delivery is recorded just after the receiver took it.
        for (let i = 0; i < 50 && (await listWaitingNotifications(store, env)).length > 0; i++) await sleep(20);
        const history = await listAlertHistory(store, env, { since: t0, until: at(3600) });
        expect(
          history.map((n) => [n.status, n.deliveries.map((d) => d.receiver + (d.deliveredAt ? ' took' : ''))]),
        ).toEqual([
          ['firing', ['ops took']],
          ['resolved', ['ops took']],
        ]);
      });
    });

    describe('runtime events', () => {
      it('keeps scaling and failures per environment, listed oldest first in a window', async () => {
        const env = unique('env');
        const event = { type: 'worker-scaled', worker: 'thumbs', workerClass: 'free', from: 1, to: 3 };
        await recordRuntimeEvent(store, {
          environment: env,
          type: event.type,
          service: 'thumbs',
          text: 'thumbs free: 1 → 3 replicas (queue depth)',
          payload: event,
          at: new Date('2026-03-02T10:00:00Z'),
        });
        await recordRuntimeEvent(store, {
          environment: env,
          type: 'haproxy-exited',
          service: 'api',
          text: 'router of api exited',
          payload: {},
          at: new Date('2026-03-02T09:59:00Z'),
        });
        const window = { since: new Date('2026-03-02T09:00:00Z'), until: new Date('2026-03-02T11:00:00Z') };
        expect((await listRuntimeEvents(store, env, window)).map((e) => [e.service, e.type])).toEqual([
          ['api', 'haproxy-exited'],
          ['thumbs', 'worker-scaled'],
        ]);
        const [scaled] = await listRuntimeEvents(store, env, { ...window, service: 'thumbs' });
        expect(scaled).toMatchObject({ payload: event, at: new Date('2026-03-02T10:00:00Z') });
        expect(await listRuntimeEvents(store, 'elsewhere', window)).toEqual([]);
      });
    });

    describe('audit log', () => {
      it('appends and lists newest first, filtered', async () => {
        const actor = unique('alice');
        const first = await appendAudit(store, {
          actor,
          action: 'release.deploy',
          target: 'api',
          environment: 'production',
          outcome: 'allowed',
          details: { version: '2.0.0' },
          reason: 'fix',
        });
        const second = await appendAudit(store, {
          actor,
          action: 'release.rollback',
          target: 'api',
          environment: 'staging',
          outcome: 'denied',
        });
        expect(first).toMatchObject({
          actor,
          action: 'release.deploy',
          environment: 'production',
          details: { version: '2.0.0' },
          reason: 'fix',
          at: expect.any(Date),
        });
        expect(second.seq).toBeGreaterThan(first.seq);
        expect((await listAudit(store, { actor })).map((e) => e.seq)).toEqual([second.seq, first.seq]);
        expect((await listAudit(store, { actor, environment: 'production' })).map((e) => e.seq)).toEqual([first.seq]);
        expect((await listAudit(store, { actor, beforeSeq: second.seq })).map((e) => e.seq)).toEqual([first.seq]);
        expect(await listAudit(store, { actor, limit: 1 })).toHaveLength(1);
      });

      it('refuses UPDATE, DELETE and TRUNCATE in the database itself', async () => {
        const actor = unique('mallory');
        const entry = await appendAudit(store, { actor, action: 'token.create', target: 'api', outcome: 'allowed' });
        for (const sql of [
          "UPDATE audit_log SET outcome = 'denied' WHERE actor = $1",
          'DELETE FROM audit_log WHERE actor = $1',
        ]) {
          const err = await failure(store.query(sql, [actor]));
          expect(err).toMatchObject({ code: 'SWY_STORE_QUERY_FAILED', details: { sqlState: '42501' } });
          expect(err.message).toContain('audit_log is append-only');
        }
        expect(await failure(store.query('TRUNCATE audit_log'))).toMatchObject({ details: { sqlState: '42501' } });
        expect(await listAudit(store, { actor })).toEqual([entry]);
      });
    });

    describe('idempotency keys', () => {
      const request = (key: string, body: unknown = { service: 'api', version: '2.0.0' }) => ({
        key,
        actor: 'alice',
        method: 'post',
        path: '/releases',
        body,
      });

      it('claims, replays the stored response, and refuses another request with the key', async () => {
        const key = unique('key');
        expect(await claimIdempotencyKey(store, request(key))).toEqual({ outcome: 'claimed' });
        expect(await failure(claimIdempotencyKey(store, request(key)))).toMatchObject({
          code: 'SWY_STORE_IDEMPOTENCY_IN_PROGRESS',
          status: 409,
        });
        await completeIdempotencyKey(store, { key, actor: 'alice', status: 201, body: { id: 'r-1' } });
        // Same body, keys in another order: the same request.
        expect(await claimIdempotencyKey(store, request(key, { version: '2.0.0', service: 'api' }))).toEqual({
          outcome: 'replay',
          status: 201,
          body: { id: 'r-1' },
        });
        const err = await failure(claimIdempotencyKey(store, request(key, { service: 'api', version: '3.0.0' })));
        expect(err).toMatchObject({ code: 'SWY_STORE_IDEMPOTENCY_MISMATCH', status: 422 });
        expect(err.message).toContain('POST /releases');
        expect(await failure(claimIdempotencyKey(store, { ...request(key), path: '/releases/x/abort' }))).toMatchObject(
          { code: 'SWY_STORE_IDEMPOTENCY_MISMATCH' },
        );
        // Keys are per actor.
        expect(await claimIdempotencyKey(store, { ...request(key), actor: 'bob' })).toEqual({ outcome: 'claimed' });
      });

      it('lets exactly one of several identical concurrent requests through', async () => {
        const key = unique('key');
        const outcomes = await Promise.allSettled(
          Array.from({ length: 8 }, () => claimIdempotencyKey(store, request(key))),
        );
        expect(
          outcomes.filter((o) => o.status === 'fulfilled').map((o) => (o as PromiseFulfilledResult<unknown>).value),
        ).toEqual([{ outcome: 'claimed' }]);
        for (const o of outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected'))
          expect(o.reason).toMatchObject({ code: 'SWY_STORE_IDEMPOTENCY_IN_PROGRESS' });
      });

      it('runs a request again after an abandoned or stale claim', async () => {
        const key = unique('key');
        await claimIdempotencyKey(store, request(key));
        await abandonIdempotencyKey(store, { key, actor: 'alice' });
        expect(await claimIdempotencyKey(store, request(key))).toEqual({ outcome: 'claimed' });
        await sleep(30);
        expect(await claimIdempotencyKey(store, request(key), { staleAfterMs: 10 })).toEqual({ outcome: 'claimed' });
        expect(await failure(claimIdempotencyKey(store, request(key), { staleAfterMs: 60_000 }))).toMatchObject({
          code: 'SWY_STORE_IDEMPOTENCY_IN_PROGRESS',
        });
      });
    });
  });
}
