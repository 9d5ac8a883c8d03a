import { AsyncLocalStorage } from 'node:async_hooks';
import { SwitchyardError, isSwitchyardError } from '../errors/index.js';

/**
 * The one port every repository is written against. Both engines speak PostgreSQL, so the
 * SQL, the migrations and the repositories are shared; only how a statement reaches the
 * database differs.
 *
 * Types come back the same on both engines: int8/bigserial as number, timestamptz as Date,
 * json/jsonb parsed. Pass JSON parameters as text (`JSON.stringify`) and cast them
 * (`$1::jsonb`): both drivers accept that unchanged.
 */
export interface SqlClient {
  query<T = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /**
   * Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. On a
   * transaction's client it opens a savepoint, so a repository can make its work atomic
   * whether or not the caller already holds a transaction. Inside `fn`, use `tx` only: a
   * query on the outer client would wait for the transaction that waits for it.
   */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
  /** Closes the store; on a transaction's client it is refused. */
  close(): Promise<void>;
}

export type Row = Record<string, unknown>;

/** An open store: the client every repository takes, and what it is. */
export interface Store extends SqlClient {
  readonly engine: Engine;
  /** The directory, or the PostgreSQL URL without its password. */
  readonly location: string;
}

export type Engine = 'postgres' | 'embedded';

/** How an adapter runs one statement: raw driver errors, mapped by `runStatement`. */
export type RawQuery = (text: string, params: readonly unknown[]) => Promise<Row[]>;

/** SQLSTATE and constraint of a database error, kept in the SwitchyardError's details. */
export interface DatabaseFailure {
  readonly sqlState: string;
  readonly constraint?: string;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EPIPE',
]);

/** Turns a driver error into a SwitchyardError; ours pass through untouched. */
export function mapDriverError(err: unknown, engine: Engine, where: string): unknown {
  if (isSwitchyardError(err)) return err;
  const e = err as { code?: unknown; message?: unknown; constraint?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : String(err);
  // Class 08: connection exception; 57P01..03: the server is shutting down or starting.
  if (
    CONNECTION_CODES.has(code) ||
    code.startsWith('08') ||
    /^57P0[123]$/.test(code) ||
    /Connection terminated|connection timeout/i.test(message)
  ) {
    return new SwitchyardError('SWY_STORE_UNAVAILABLE', {
      message: `The database at ${where} did not answer: ${message}`,
      cause: err,
      details: { location: where },
    });
  }
  if (/^[0-9A-Z]{5}$/.test(code)) {
    const details: DatabaseFailure =
      typeof e.constraint === 'string' ? { sqlState: code, constraint: e.constraint } : { sqlState: code };
    return new SwitchyardError('SWY_STORE_QUERY_FAILED', {
      message: `A query on the ${engine} store at ${where} failed: ${message} (SQLSTATE ${code})`,
      cause: err,
      details: { ...details },
    });
  }
  return new SwitchyardError('SWY_STORE_QUERY_FAILED', {
    message: `A query on the ${engine} store at ${where} failed: ${message}`,
    cause: err,
  });
}

/** True for a unique violation, of `constraint` when given. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  if (!isSwitchyardError(err) || err.code !== 'SWY_STORE_QUERY_FAILED') return false;
  return err.details['sqlState'] === '23505' && (constraint === undefined || err.details['constraint'] === constraint);
}

/**
 * Marks the async context of a running transaction, per store: a query on the store's own
 * client from inside one of its transactions is a bug that deadlocks the embedded engine,
 * so both engines refuse it the same way.
 */
const insideTransaction = new AsyncLocalStorage<ReadonlySet<object>>();

export function refuseInsideTransaction(owner: object): void {
  if (insideTransaction.getStore()?.has(owner)) {
    throw new SwitchyardError('SWY_INTERNAL_ERROR', {
      message:
        'A query used the store itself inside one of its transactions; it must use the transaction client it was given',
    });
  }
}

/** Runs `fn` in BEGIN … COMMIT on one connection; `query` must reach that connection only. */
export async function runTransaction<T>(owner: object, query: RawQuery, fn: (tx: SqlClient) => Promise<T>): Promise<T> {
  await query('BEGIN', []);
  const tx = new TransactionClient(query);
  const outer = insideTransaction.getStore() ?? new Set<object>();
  try {
    const result = await insideTransaction.run(new Set([...outer, owner]), () => fn(tx));
    // PostgreSQL answers COMMIT of a failed transaction with a silent rollback: a statement
    // that failed outside any savepoint, even if the caller caught it, fails the transaction.
    if (tx.failure !== undefined) throw tx.failure;
    await query('COMMIT', []);
    return result;
  } catch (err) {
    await query('ROLLBACK', []).catch(() => undefined);
    throw err;
  } finally {
    tx.finish();
  }
}

class TransactionClient implements SqlClient {
  private depth = 0;
  private finished = false;
  /** The first error of a statement run outside any savepoint. */
  failure: unknown;

  constructor(private readonly raw: RawQuery) {}

  finish(): void {
    this.finished = true;
  }

  async query<T = Row>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    if (this.finished)
      throw new SwitchyardError('SWY_INTERNAL_ERROR', {
        message: 'A query used a transaction client after its transaction ended',
      });
    try {
      return (await this.raw(text, params)) as T[];
    } catch (err) {
      if (this.depth === 0) this.failure ??= err;
      throw err;
    }
  }

  async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    const name = `swy_sp_${++this.depth}`;
    await this.query(`SAVEPOINT ${name}`);
    try {
      const result = await fn(this);
      await this.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (err) {
      await this.query(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => undefined);
      await this.query(`RELEASE SAVEPOINT ${name}`).catch(() => undefined);
      throw err;
    } finally {
      this.depth--;
    }
  }

  close(): Promise<void> {
    return Promise.reject(
      new SwitchyardError('SWY_INTERNAL_ERROR', { message: 'A transaction client cannot close the store' }),
    );
  }
}

/** Serialises async work: one holder at a time, in arrival order. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/** JSON text for a jsonb parameter; `undefined` is stored as SQL NULL. */
export function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}
