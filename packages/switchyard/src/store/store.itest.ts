import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { describeStoreContract, failure } from '../../test/support/store-contract.js';
import {
  appendReleaseEvent,
  createRelease,
  listEventsAfter,
  openStore,
  recordTransition,
  type Store,
} from './index.js';

const PG_URL = process.env['SWITCHYARD_TEST_PG_URL'];
if (!PG_URL) {
  throw new Error(
    'SWITCHYARD_TEST_PG_URL is not set: start PostgreSQL with `test/infra/up postgres && . /tmp/switchyard/infra.env` (test/run does both)',
  );
}
const url = PG_URL;

// Each fresh() is a schema of its own, so runs and test files never see each other's rows.
const schemas: string[] = [];
async function freshSchema(migrate = true): Promise<{ store: Store; schema: string }> {
  const schema = `swy_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  schemas.push(schema);
  return { store: await openStore(url, { schema, migrate }), schema };
}

describeStoreContract({
  engine: 'postgres',
  async fresh(options = {}) {
    const { store, schema } = await freshSchema(options.migrate !== false);
    return { store, another: () => openStore(url, { schema, migrate: false }) };
  },
});

afterAll(async () => {
  const admin = await openStore(url, { migrate: false });
  try {
    for (const schema of schemas.splice(0)) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await admin.close();
  }
});

describe('PostgreSQL store', () => {
  it('says which server did not answer, without its password', async () => {
    const err = await failure(openStore('postgres://switchyard:hunter2@127.0.0.1:1/switchyard'));
    expect(err.code).toBe('SWY_STORE_UNAVAILABLE');
    expect(err.message).toContain('127.0.0.1:1');
    expect(err.message).not.toContain('hunter2');
  });

  it('never lets a resuming reader skip an event whose transaction commits late', async () => {
    const { store } = await freshSchema();
    try {
      const a = await createRelease(store, {
        service: 'api',
        environment: 'production',
        version: '2',
        plan: {},
        state: {},
        createdBy: 't',
      });
      const b = await createRelease(store, {
        service: 'web',
        environment: 'production',
        version: '2',
        plan: {},
        state: {},
        createdBy: 't',
      });
      let commitLate!: () => void;
      const held = new Promise<void>((r) => (commitLate = r));
      let lowSeq = 0;
      let inserted!: () => void;
      const insertedP = new Promise<void>((r) => (inserted = r));
      const slow = store.transaction(async (tx) => {
        lowSeq = await appendReleaseEvent(tx, a.id, { type: 'slow' });
        inserted();
        await held;
      });
      await insertedP;
      try {
        const highSeq = (
          await recordTransition(store, { releaseId: b.id, event: { type: 'fast' }, state: {}, status: 'running' })
        ).eventSeq;
        expect(highSeq).toBeGreaterThan(lowSeq);
        // The higher seq is committed, the lower one not yet: a reader must see neither.
        expect(await listEventsAfter(store, 0)).toEqual([]);
        commitLate();
        await slow;
        expect((await listEventsAfter(store, 0)).map((e) => [e.seq, e.type])).toEqual([
          [lowSeq, 'slow'],
          [highSeq, 'fast'],
        ]);
      } finally {
        commitLate();
        await slow;
      }
    } finally {
      await store.close();
    }
  });
});
