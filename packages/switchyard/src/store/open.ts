import { fileURLToPath } from 'node:url';
import { redactUrl, SwitchyardError } from '../errors/index.js';
import { EmbeddedClient } from './embedded.js';
import { migrate } from './migrate.js';
import { PostgresClient } from './postgres.js';
import type { Store } from './sql.js';

export type StoreLocation =
  { readonly engine: 'postgres'; readonly url: string } | { readonly engine: 'embedded'; readonly directory: string };

export interface OpenStoreOptions {
  /** Apply pending migrations before returning (default true). */
  readonly migrate?: boolean;
  /** PostgreSQL only: the schema to use (created if missing) instead of the default search path. */
  readonly schema?: string;
  /** PostgreSQL only: the pool size (default 10). */
  readonly maxConnections?: number;
}

/** `postgres://…` or `postgresql://…` → PostgreSQL; `file:///dir` or a plain path → the embedded store in that directory. */
export function parseStoreLocation(location: string): StoreLocation {
  const text = location.trim();
  if (/^postgres(ql)?:\/\//i.test(text)) return { engine: 'postgres', url: text };
  if (/^file:/i.test(text)) {
    try {
      return { engine: 'embedded', directory: fileURLToPath(text) };
    } catch (err) {
      throw new SwitchyardError('SWY_STORE_URL_INVALID', {
        message: `The store location ${text} is not a valid file URL: ${(err as Error).message}`,
        cause: err,
      });
    }
  }
  if (text === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    const shown = text === '' ? '(empty)' : /^[a-z]+:\/\//i.test(text) ? redactUrl(text) : text;
    throw new SwitchyardError('SWY_STORE_URL_INVALID', {
      message: `The store location ${shown} is neither a postgres:// URL nor a directory`,
    });
  }
  return { engine: 'embedded', directory: text };
}

/** Opens the store at `location` and brings its schema up to date. */
export async function openStore(location: string, options: OpenStoreOptions = {}): Promise<Store> {
  const where = parseStoreLocation(location);
  if (where.engine === 'embedded' && options.schema) {
    throw new SwitchyardError('SWY_STORE_URL_INVALID', {
      message: `A schema (${options.schema}) applies to PostgreSQL only, not to the embedded store ${where.directory}`,
    });
  }
  const store: Store =
    where.engine === 'postgres'
      ? await PostgresClient.connect(where.url, {
          ...(options.schema ? { schema: options.schema } : {}),
          ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
        })
      : await EmbeddedClient.open(where.directory);
  if (options.migrate !== false) {
    try {
      await migrate(store);
    } catch (err) {
      await store.close().catch(() => undefined);
      throw err;
    }
  }
  return store;
}
