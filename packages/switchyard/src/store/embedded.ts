import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { NodeFS } from '@electric-sql/pglite/nodefs';
import { SwitchyardError, isSwitchyardError } from '../errors/index.js';
import { acquireDirLock } from './dir-lock.js';
import {
  Mutex,
  mapDriverError,
  refuseInsideTransaction,
  runTransaction,
  type Row,
  type SqlClient,
  type Store,
} from './sql.js';

/** Where the database lives inside the store's directory, beside the lock file. */
export const EMBEDDED_DATA = 'pgdata';
export const EMBEDDED_LOCK = 'store.lock';

/**
 * PostgreSQL compiled to WebAssembly (PGlite) on a directory of the local disk. It has one
 * connection, so every statement and every whole transaction takes turns through one mutex:
 * a transaction's statements never interleave with anyone else's.
 *
 * Durability: PGlite's Node filesystem writes through to the files with a synchronous write()
 * per page, so a commit that returned is in the operating system's hands and survives the
 * process being killed (store.test.ts kills one with SIGKILL right after a commit). It does not
 * fsync (PGlite runs PostgreSQL with fsync off, and its Node filesystem has no fsync), so a
 * power cut or kernel crash can lose recent commits: use PostgreSQL where that matters.
 */
export class EmbeddedClient implements Store {
  readonly engine = 'embedded';
  private readonly mutex = new Mutex();
  private closed = false;

  private constructor(
    readonly location: string,
    private readonly db: PGlite,
    private readonly unlock: () => Promise<void>,
  ) {}

  static async open(directory: string): Promise<EmbeddedClient> {
    const dir = resolve(directory);
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      throw new SwitchyardError('SWY_STORE_OPEN_FAILED', {
        message: `The embedded store directory ${dir} could not be created: ${(err as Error).message}`,
        cause: err,
      });
    }
    const unlock = await acquireDirLock(join(dir, EMBEDDED_LOCK)).catch((err: unknown) => {
      if (isSwitchyardError(err)) throw err;
      throw new SwitchyardError('SWY_STORE_OPEN_FAILED', {
        message: `The embedded store ${dir} could not be locked: ${(err as Error).message}`,
        cause: err,
      });
    });
    const log: string[] = [];
    try {
      const db = await PGlite.create({
        fs: new NodeFS(join(dir, EMBEDDED_DATA)),
        // The default, said out loud: never return from a query before its writes are handed to
        // the filesystem. (With the Node filesystem, writes are synchronous either way.)
        relaxedDurability: false,
        onStderr: (text) => (log.push(text), true),
      });
      return new EmbeddedClient(dir, db, unlock);
    } catch (err) {
      await unlock();
      const tail = log.slice(-5).join('\n');
      throw new SwitchyardError('SWY_STORE_OPEN_FAILED', {
        message: `The embedded store ${dir} could not be opened: ${(err as Error).message}${tail ? `\n${tail}` : ''}`,
        cause: err,
      });
    }
  }

  private raw = async (text: string, params: readonly unknown[]): Promise<Row[]> => {
    if (this.closed)
      throw new SwitchyardError('SWY_INTERNAL_ERROR', {
        message: `The embedded store ${this.location} was used after it was closed`,
      });
    try {
      return (await this.db.query<Row>(text, params as unknown[])).rows;
    } catch (err) {
      throw mapDriverError(err, 'embedded', this.location);
    }
  };

  query<T = Row>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    refuseInsideTransaction(this);
    return this.mutex.run(() => this.raw(text, params)) as Promise<T[]>;
  }

  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    refuseInsideTransaction(this);
    return this.mutex.run(() => runTransaction(this, this.raw, fn));
  }

  close(): Promise<void> {
    return this.mutex.run(async () => {
      if (this.closed) return;
      this.closed = true;
      try {
        await this.db.close();
      } finally {
        await this.unlock();
      }
    });
  }
}
