import type { UnitState } from '../render/index.js';
import { json, type SqlClient } from './sql.js';

/** What a service should run in an environment: track versions and replicas, router shares. */
export interface DesiredStateRecord {
  readonly environment: string;
  readonly service: string;
  readonly state: UnitState;
  /** The release that last set it, if a release did. */
  readonly releaseId: string | null;
  readonly updatedAt: Date;
}

interface DesiredStateRow {
  environment: string;
  service: string;
  state: UnitState;
  release_id: string | null;
  updated_at: Date;
}

const toRecord = (row: DesiredStateRow): DesiredStateRecord => ({
  environment: row.environment,
  service: row.service,
  state: row.state,
  releaseId: row.release_id,
  updatedAt: row.updated_at,
});

/** Replaces the desired state of one service in one environment. */
export async function putDesiredState(
  db: SqlClient,
  input: { readonly environment: string; readonly service: string; readonly state: UnitState; readonly releaseId?: string | null },
): Promise<DesiredStateRecord> {
  const rows = await db.query<DesiredStateRow>(
    `INSERT INTO desired_state (environment, service, state, release_id) VALUES ($1, $2, $3::jsonb, $4)
     ON CONFLICT (environment, service) DO UPDATE SET state = EXCLUDED.state, release_id = EXCLUDED.release_id, updated_at = now()
     RETURNING environment, service, state, release_id, updated_at`,
    [input.environment, input.service, json(input.state), input.releaseId ?? null],
  );
  return toRecord(rows[0] as DesiredStateRow);
}

export async function getDesiredState(db: SqlClient, environment: string, service: string): Promise<DesiredStateRecord | undefined> {
  const rows = await db.query<DesiredStateRow>('SELECT environment, service, state, release_id, updated_at FROM desired_state WHERE environment = $1 AND service = $2', [environment, service]);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

/** Every service's desired state, of one environment or all, by environment then service. */
export async function listDesiredState(db: SqlClient, environment?: string): Promise<DesiredStateRecord[]> {
  const rows = await db.query<DesiredStateRow>(
    'SELECT environment, service, state, release_id, updated_at FROM desired_state WHERE $1::text IS NULL OR environment = $1 ORDER BY environment, service',
    [environment ?? null],
  );
  return rows.map(toRecord);
}
