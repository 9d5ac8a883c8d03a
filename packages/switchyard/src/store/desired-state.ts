import { json, type SqlClient } from './sql.js';

/** What a service should run in an environment (track versions and replicas, router shares), as its runtime's serialisable state. */
export interface DesiredStateRecord<State = unknown> {
  readonly environment: string;
  readonly service: string;
  readonly state: State;
  /** The release that last set it, if a release did. */
  readonly releaseId: string | null;
  readonly updatedAt: Date;
}

interface DesiredStateRow {
  environment: string;
  service: string;
  state: unknown;
  release_id: string | null;
  updated_at: Date;
}

const toRecord = <State>(row: DesiredStateRow): DesiredStateRecord<State> => ({
  environment: row.environment,
  service: row.service,
  state: row.state as State,
  releaseId: row.release_id,
  updatedAt: row.updated_at,
});

/** Replaces the desired state of one service in one environment. */
export async function putDesiredState<State>(
  db: SqlClient,
  input: {
    readonly environment: string;
    readonly service: string;
    readonly state: State;
    readonly releaseId?: string | null;
  },
): Promise<DesiredStateRecord<State>> {
  const rows = await db.query<DesiredStateRow>(
    `INSERT INTO desired_state (environment, service, state, release_id) VALUES ($1, $2, $3::jsonb, $4)
     ON CONFLICT (environment, service) DO UPDATE SET state = EXCLUDED.state, release_id = EXCLUDED.release_id, updated_at = now()
     RETURNING environment, service, state, release_id, updated_at`,
    [input.environment, input.service, json(input.state), input.releaseId ?? null],
  );
  return toRecord<State>(rows[0] as DesiredStateRow);
}

export async function getDesiredState<State = unknown>(
  db: SqlClient,
  environment: string,
  service: string,
): Promise<DesiredStateRecord<State> | undefined> {
  const rows = await db.query<DesiredStateRow>(
    'SELECT environment, service, state, release_id, updated_at FROM desired_state WHERE environment = $1 AND service = $2',
    [environment, service],
  );
  return rows[0] ? toRecord<State>(rows[0]) : undefined;
}

/** Every service's desired state, of one environment or all, by environment then service. */
export async function listDesiredState<State = unknown>(
  db: SqlClient,
  environment?: string,
): Promise<DesiredStateRecord<State>[]> {
  const rows = await db.query<DesiredStateRow>(
    'SELECT environment, service, state, release_id, updated_at FROM desired_state WHERE $1::text IS NULL OR environment = $1 ORDER BY environment, service',
    [environment ?? null],
  );
  return rows.map((r) => toRecord<State>(r));
}
