import { SwitchyardError, isSwitchyardError } from '../errors/index.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';
import type { SqlClient } from './sql.js';

export interface MigrationReport {
  /** Versions this call applied, in order (empty when the schema was up to date). */
  readonly applied: readonly number[];
  /** The schema's version afterwards. */
  readonly version: number;
}

/**
 * Every step takes the same transaction-scoped advisory lock, per schema: two processes
 * starting at once against one PostgreSQL apply each migration once, the second waiting for
 * the first and then finding the work done.
 */
const LOCK = `SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.switchyard.schema_migrations'))`;

function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new SwitchyardError('SWY_INTERNAL_ERROR', {
        message: `Migration ${m.version} (${m.name}) is out of order: expected version ${i + 1}`,
      });
  });
}

async function appliedVersions(tx: SqlClient, latest: number): Promise<Set<number>> {
  await tx.query(LOCK);
  await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`);
  const rows = await tx.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
  const newest = rows.at(-1)?.version ?? 0;
  if (newest > latest) {
    throw new SwitchyardError('SWY_STORE_SCHEMA_TOO_NEW', {
      message: `The database is at schema version ${newest}, this Switchyard knows versions up to ${latest}`,
      details: { databaseVersion: newest, knownVersion: latest },
    });
  }
  return new Set(rows.map((r) => r.version));
}

export async function migrate(db: SqlClient, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationReport> {
  checkOrder(migrations);
  const latest = migrations.length;
  const done = await db.transaction((tx) => appliedVersions(tx, latest));
  const applied: number[] = [];
  for (const migration of migrations) {
    if (done.has(migration.version)) continue;
    const ran = await db.transaction(async (tx) => {
      if ((await appliedVersions(tx, latest)).has(migration.version)) return false;
      for (const [i, statement] of migration.statements.entries()) {
        try {
          await tx.query(statement);
        } catch (err) {
          const reason = isSwitchyardError(err) || err instanceof Error ? err.message : String(err);
          throw new SwitchyardError('SWY_STORE_MIGRATION_FAILED', {
            message: `Migration ${migration.version} (${migration.name}) failed at statement ${i + 1}: ${reason}`,
            cause: err,
            details: { version: migration.version, statement: i + 1 },
          });
        }
      }
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      return true;
    });
    if (ran) applied.push(migration.version);
  }
  return { applied, version: latest };
}

/** The versions recorded in schema_migrations, in order. */
export async function schemaVersions(db: SqlClient): Promise<number[]> {
  const rows = await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
  return rows.map((r) => r.version);
}
