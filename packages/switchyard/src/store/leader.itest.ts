import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { leaderLock, openStore, readLeader, recordLeader, type Store } from './index.js';

const PG_URL = process.env['SWITCHYARD_TEST_PG_URL'];
if (!PG_URL) {
  throw new Error(
    'SWITCHYARD_TEST_PG_URL is not set: start PostgreSQL with `test/infra/up postgres && . /tmp/switchyard/infra.env`',
  );
}
const url = PG_URL;
const opened: Store[] = [];
const schemas: string[] = [];

/** Two replicas' stores on one fresh schema. */
async function replicas(): Promise<[Store, Store]> {
  const schema = `swy_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  schemas.push(schema);
  const a = await openStore(url, { schema });
  const b = await openStore(url, { schema, migrate: false });
  opened.push(a, b);
  return [a, b];
}

afterAll(async () => {
  for (const store of opened.splice(0)) await store.close().catch(() => undefined);
  const admin = await openStore(url, { migrate: false });
  try {
    for (const schema of schemas.splice(0)) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await admin.close();
  }
});

describe('the leader lock on PostgreSQL', () => {
  it('is held by one session at a time, and freed at once when its connection dies', async () => {
    const [a, b] = await replicas();
    const lockA = leaderLock(a);
    const lockB = leaderLock(b);
    const lost: string[] = [];
    lockA.onLost((why) => lost.push(why));
    expect(await lockA.acquire()).toBe(true);
    expect(await lockA.acquire()).toBe(true);
    expect(await lockB.acquire()).toBe(false);
    expect(await lockA.holds(1000)).toBe(true);
    expect(await lockB.holds(1000)).toBe(false);

    // What a dead leader's process or a cut connection looks like to the database: its session ends.
    const [killed] = await b.query<{ n: number }>(
      `SELECT count(pg_terminate_backend(pid))::integer AS n FROM pg_locks
       WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()
         AND objid::bigint = (hashtext(current_schema() || '.switchyard.leader')::bigint & 4294967295)`,
    );
    expect(killed?.n).toBe(1);
    const deadline = Date.now() + 5000;
    while (lost.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(lost).toHaveLength(1);
    expect(await lockA.holds(1000)).toBe(false);
    expect(await lockB.acquire()).toBe(true);
    expect(await lockA.acquire()).toBe(false);
    await lockB.release();
    expect(await lockA.acquire()).toBe(true);
    await lockA.release();
  });

  it('is another lock in another schema: two fleets can share one database', async () => {
    const [a] = await replicas();
    const [c] = await replicas();
    const lockA = leaderLock(a);
    const lockC = leaderLock(c);
    expect(await lockA.acquire()).toBe(true);
    expect(await lockC.acquire()).toBe(true);
    await lockA.release();
    await lockC.release();
  });

  it('records each new leader in the next term, with its address', async () => {
    const [a, b] = await replicas();
    expect(await readLeader(a)).toBeUndefined();
    const first = await recordLeader(a, { holder: 'a/1', address: 'http://10.0.0.1:7070' });
    expect(first).toMatchObject({ term: 1, holder: 'a/1', address: 'http://10.0.0.1:7070' });
    const second = await recordLeader(b, { holder: 'b/1', address: 'http://10.0.0.2:7070' });
    expect(second.term).toBe(2);
    expect(await readLeader(a)).toMatchObject({ term: 2, holder: 'b/1', address: 'http://10.0.0.2:7070' });
    expect(await a.query('SELECT count(*)::integer AS n FROM leader')).toEqual([{ n: 1 }]);
  });
});
