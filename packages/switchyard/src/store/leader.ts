import type pg from 'pg';
import { mapDriverError, type SqlClient, type Store } from './sql.js';
import { PostgresClient } from './postgres.js';

/** The replica that leads the replicas sharing a store, as it recorded itself. */
export interface LeaderRecord {
  /** Grows by one with each new leader. */
  readonly term: number;
  /** Which replica: host, process and a random part, so a restarted process is another holder. */
  readonly holder: string;
  /** Where its API answers (its advertised address): where standbys hand writes. */
  readonly address: string;
  readonly since: Date;
}

interface LeaderRow {
  term: number;
  holder: string;
  address: string;
  since: Date;
}

const toRecord = (row: LeaderRow): LeaderRecord => ({
  term: Number(row.term),
  holder: row.holder,
  address: row.address,
  since: row.since,
});

/** The last leader recorded (it may have died since: whether one holds the lock says if it lives). */
export async function readLeader(db: SqlClient): Promise<LeaderRecord | undefined> {
  const [row] = await db.query<LeaderRow>('SELECT term, holder, address, since FROM leader');
  return row ? toRecord(row) : undefined;
}

/** Records this replica as the leader, in the next term. Only the holder of the leader lock calls it. */
export async function recordLeader(db: SqlClient, who: { holder: string; address: string }): Promise<LeaderRecord> {
  const [row] = await db.query<LeaderRow>(
    `INSERT INTO leader (term, holder, address) VALUES (1, $1, $2)
     ON CONFLICT (singleton) DO UPDATE SET term = leader.term + 1, holder = $1, address = $2, since = now()
     RETURNING term, holder, address, since`,
    [who.holder, who.address],
  );
  return toRecord(row as LeaderRow);
}

/**
 * The lock that makes one replica of a store the leader. On PostgreSQL a session-level
 * advisory lock, held on a connection of its own for as long as the replica leads: when the
 * process dies its connection closes and the lock is free at once. The embedded store has one
 * opener, so it is always held.
 */
export interface LeaderLock {
  /** Takes the lock if no one holds it; true while this process holds it. */
  acquire(): Promise<boolean>;
  /** Whether the connection holding the lock still answers within `timeoutMs` (false when not held). */
  holds(timeoutMs: number): Promise<boolean>;
  /** `listener` is called whenever the connection holding the lock fails or closes. */
  onLost(listener: (why: string) => void): void;
  /** Lets the lock go (closes its connection). */
  release(): Promise<void>;
}

/** Every advisory lock of a schema shares one key space: this one is named, like the migrations' lock. */
const KEY = `hashtext(current_schema() || '.switchyard.leader')`;

/**
 * A dead peer is noticed by the database within about idle + interval × count seconds (the
 * operating system's default is two hours): the lock of a leader cut off by the network is
 * freed then, well after the leader itself has stepped down for not reaching its connection.
 */
const KEEPALIVE = { tcp_keepalives_idle: 5, tcp_keepalives_interval: 2, tcp_keepalives_count: 3 };

class AdvisoryLock implements LeaderLock {
  private client: pg.Client | undefined;
  private held = false;
  private readonly listeners: ((why: string) => void)[] = [];

  constructor(private readonly store: PostgresClient) {}

  private lost(client: pg.Client, why: string): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    if (!this.held) return;
    this.held = false;
    for (const listener of this.listeners) listener(why);
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = this.store.session(KEEPALIVE);
    client.on('error', (err) => this.lost(client, err.message));
    client.on('end', () => this.lost(client, 'the database closed the connection'));
    try {
      await client.connect();
    } catch (err) {
      client.end().catch(() => undefined);
      throw mapDriverError(err, 'postgres', this.store.location);
    }
    this.client = client;
    return client;
  }

  async acquire(): Promise<boolean> {
    if (this.held) return true;
    const client = await this.connect();
    try {
      const { rows } = await client.query<{ held: boolean }>(`SELECT pg_try_advisory_lock(${KEY}) AS held`);
      this.held = rows[0]?.held === true;
      return this.held;
    } catch (err) {
      this.lost(client, (err as Error).message);
      throw mapDriverError(err, 'postgres', this.store.location);
    }
  }

  async holds(timeoutMs: number): Promise<boolean> {
    const client = this.client;
    if (!this.held || !client) return false;
    let timer: NodeJS.Timeout | undefined;
    const answered = await Promise.race([
      client.query('SELECT 1').then(
        () => true,
        () => false,
      ),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (!answered) this.lost(client, `the connection holding the lock did not answer within ${timeoutMs} ms`);
    return answered && this.held;
  }

  onLost(listener: (why: string) => void): void {
    this.listeners.push(listener);
  }

  async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.held = false;
    // Closing the session frees its advisory locks; no unlock statement is needed (or waited for).
    await client?.end().catch(() => undefined);
  }
}

/** The one opener of an embedded store leads it. */
const ALWAYS_HELD: LeaderLock = {
  acquire: () => Promise.resolve(true),
  holds: () => Promise.resolve(true),
  onLost: () => undefined,
  release: () => Promise.resolve(),
};

/** The leader lock of the replicas sharing `store`. */
export function leaderLock(store: Store): LeaderLock {
  return store instanceof PostgresClient ? new AdvisoryLock(store) : ALWAYS_HELD;
}
