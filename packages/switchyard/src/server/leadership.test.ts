import { afterEach, describe, expect, it } from 'vitest';
import type { LeaderLock, LeaderRecord } from '../store/index.js';
import { Leadership, type LeaderRegistry } from './leadership.js';

/** One lock shared by the replicas of a test, as PostgreSQL's advisory lock is shared by sessions. */
class SharedLock {
  holder: FakeLock | undefined;
  readonly registry: LeaderRegistry & { records: LeaderRecord[] } = {
    records: [],
    record: async (who) => {
      const last = this.registry.records.at(-1);
      const record = { term: (last?.term ?? 0) + 1, since: new Date(), ...who };
      this.registry.records.push(record);
      return record;
    },
    read: async () => this.registry.records.at(-1),
  };
  lock(): FakeLock {
    return new FakeLock(this);
  }
}

class FakeLock implements LeaderLock {
  private listeners: ((why: string) => void)[] = [];
  /** A connection that no longer answers (a network cut): holds() times out. */
  silent = false;
  /** The store cannot be reached from this replica at all. */
  unreachable = false;
  constructor(private readonly shared: SharedLock) {}
  async acquire() {
    if (this.unreachable) throw new Error('connect ECONNREFUSED');
    if (!this.shared.holder) this.shared.holder = this;
    return this.shared.holder === this;
  }
  async holds() {
    return this.shared.holder === this && !this.silent;
  }
  onLost(listener: (why: string) => void) {
    this.listeners.push(listener);
  }
  async release() {
    if (this.shared.holder === this) this.shared.holder = undefined;
  }
  /** The database closed the connection: the lock is free and the holder is told. */
  drop() {
    if (this.shared.holder !== this) return;
    this.shared.holder = undefined;
    for (const l of this.listeners) l('connection closed');
  }
}

interface Replica {
  readonly leadership: Leadership;
  readonly lock: FakeLock;
  readonly log: string[];
  /** Whether the replica's engines run now. */
  acting: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const started: Leadership[] = [];

async function waitFor(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(5);
  }
}

function replica(shared: SharedLock, address: string, options: { failLead?: boolean } = {}): Replica {
  const lock = shared.lock();
  const log: string[] = [];
  const r: Replica = {
    lock,
    log,
    acting: false,
    leadership: new Leadership({
      lock,
      registry: shared.registry,
      holder: address,
      address,
      retryMs: 20,
      lead: async () => {
        log.push('lead');
        if (options.failLead) throw new Error('the store went away');
        r.acting = true;
      },
      follow: async () => {
        log.push('follow');
        r.acting = false;
      },
      say: (line) => log.push(line),
    }),
  };
  started.push(r.leadership);
  return r;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((l) => l.stop()));
});

describe('leadership of the replicas sharing a store', () => {
  it('makes exactly one replica lead; the others stand by and name it', async () => {
    const shared = new SharedLock();
    const a = replica(shared, 'http://a:7070');
    const b = replica(shared, 'http://b:7070');
    await a.leadership.start();
    await b.leadership.start();
    expect([a.leadership.role, b.leadership.role]).toEqual(['leader', 'standby']);
    expect([a.acting, b.acting]).toEqual([true, false]);
    await sleep(100);
    expect(b.log).not.toContain('lead');
    expect(await a.leadership.view()).toMatchObject({ role: 'leader', self: 'http://a:7070', leader: { term: 1 } });
    expect(await b.leadership.view()).toMatchObject({
      role: 'standby',
      self: 'http://b:7070',
      leader: { address: 'http://a:7070', term: 1 },
    });
  });

  it('steps down the moment the lock connection closes, and the standby takes over in the next term', async () => {
    const shared = new SharedLock();
    const a = replica(shared, 'http://a:7070');
    const b = replica(shared, 'http://b:7070');
    await a.leadership.start();
    await b.leadership.start();
    a.lock.unreachable = true;
    a.lock.drop();
    // At once, before any timer: writes are handed off from now on.
    expect(a.leadership.role).toBe('standby');
    let both = false;
    await waitFor(() => {
      both ||= a.acting && b.acting;
      return b.acting && !a.acting;
    });
    expect(both).toBe(false);
    a.lock.unreachable = false;
    expect(b.leadership.role).toBe('leader');
    expect(a.log.filter((l) => l === 'follow')).toHaveLength(1);
    expect((await b.leadership.view()).leader?.term).toBe(2);
    // Once it reaches the store again, the old leader names the new one.
    await sleep(60);
    expect(await a.leadership.view()).toMatchObject({ role: 'standby', leader: { address: 'http://b:7070' } });
    // Never two acting at once: the old leader does not come back while the new one holds the lock.
    await sleep(100);
    expect([a.leadership.role, b.leadership.role]).toEqual(['standby', 'leader']);
  });

  it('steps down when its lock connection stops answering', async () => {
    const shared = new SharedLock();
    const a = replica(shared, 'http://a:7070');
    await a.leadership.start();
    a.lock.silent = true;
    await waitFor(() => a.leadership.role === 'standby' && !a.acting);
    expect(a.log.some((l) => l.includes('no longer leading'))).toBe(true);
  });

  it('gives the lock back when taking over fails, so another replica can lead', async () => {
    const shared = new SharedLock();
    const a = replica(shared, 'http://a:7070', { failLead: true });
    await a.leadership.start();
    expect(a.leadership.role).toBe('standby');
    expect(shared.holder).toBeUndefined();
    const b = replica(shared, 'http://b:7070');
    await b.leadership.start();
    expect(b.leadership.role).toBe('leader');
  });

  it('stops acting and lets the lock go when stopped', async () => {
    const shared = new SharedLock();
    const a = replica(shared, 'http://a:7070');
    const b = replica(shared, 'http://b:7070');
    await a.leadership.start();
    await b.leadership.start();
    await a.leadership.stop();
    expect(a.acting).toBe(false);
    await waitFor(() => b.acting);
  });

  it('says no leader is known when the last recorded one is itself', async () => {
    const shared = new SharedLock();
    const a = replica(shared, 'http://a:7070');
    await a.leadership.start();
    await a.leadership.stop();
    expect((await a.leadership.view()).leader).toBeNull();
  });
});
