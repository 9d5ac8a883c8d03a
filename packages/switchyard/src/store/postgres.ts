import pg from 'pg';
import { redactUrl } from '../errors/index.js';
import {
  mapDriverError,
  refuseInsideTransaction,
  runTransaction,
  type Row,
  type SqlClient,
  type Store,
} from './sql.js';

export interface PostgresOptions {
  /** Schema to create if missing and to use for every table (search_path). */
  readonly schema?: string;
  readonly maxConnections?: number;
}

// int8 (bigserial sequence numbers) as number, as the embedded engine returns it; sequence
// numbers stay far below 2^53.
const INT8_OID = 20;
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A pool of connections; a transaction holds one of them from BEGIN to COMMIT. */
export class PostgresClient implements Store {
  readonly engine = 'postgres';
  readonly location: string;
  private readonly pool: pg.Pool;
  private readonly url: string;
  private readonly schema: string | undefined;

  private constructor(url: string, options: PostgresOptions) {
    this.location = redactUrl(url);
    this.url = url;
    this.schema = options.schema;
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections ?? 10,
      types,
      connectionTimeoutMillis: 10_000,
      ...(options.schema ? { options: `-c search_path=${quoteIdent(options.schema)}` } : {}),
    });
    // An idle connection dropped by the server must not crash the process: the next query
    // gets a fresh connection, or a clear SWY_STORE_UNAVAILABLE.
    this.pool.on('error', () => undefined);
  }

  static async connect(url: string, options: PostgresOptions = {}): Promise<PostgresClient> {
    const client = new PostgresClient(url, options);
    try {
      if (options.schema) await client.pool.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(options.schema)}`);
      else await client.pool.query('SELECT 1');
    } catch (err) {
      await client.pool.end().catch(() => undefined);
      throw mapDriverError(err, 'postgres', client.location);
    }
    return client;
  }

  async query<T = Row>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    refuseInsideTransaction(this);
    try {
      return (await this.pool.query(text, params as unknown[])).rows as T[];
    } catch (err) {
      throw mapDriverError(err, 'postgres', this.location);
    }
  }

  async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    refuseInsideTransaction(this);
    let connection: pg.PoolClient;
    try {
      connection = await this.pool.connect();
    } catch (err) {
      throw mapDriverError(err, 'postgres', this.location);
    }
    let broken: unknown;
    try {
      return await runTransaction(
        this,
        async (text, params) => {
          try {
            return (await connection.query(text, params as unknown[])).rows as Row[];
          } catch (err) {
            if (!/^[0-9A-Z]{5}$/.test(String((err as { code?: unknown }).code))) broken = err;
            throw mapDriverError(err, 'postgres', this.location);
          }
        },
        fn,
      );
    } finally {
      // A connection that failed below SQL (socket closed) is not given back to the pool.
      connection.release(broken instanceof Error ? broken : undefined);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /**
   * A connection of its own, outside the pool, on the same database and schema: for a
   * session-level lock held for as long as the connection lives. `settings` are extra server
   * settings of that session (`-c name=value`). Not yet connected.
   */
  session(settings: Readonly<Record<string, string | number>> = {}): pg.Client {
    const options = [
      ...(this.schema ? [`-c search_path=${quoteIdent(this.schema)}`] : []),
      ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`),
    ].join(' ');
    return new pg.Client({
      connectionString: this.url,
      types,
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
      ...(options ? { options } : {}),
    });
  }
}
