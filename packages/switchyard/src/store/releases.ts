import { randomUUID } from 'node:crypto';
import { SwitchyardError } from '../errors/index.js';
import { isUniqueViolation, json, type SqlClient } from './sql.js';

/**
 * A release as the store keeps it. The store knows no engine: state and plan are the engine's
 * serialisable data, the status is the engine's word for where the release stands.
 */
export interface ReleaseRecord<State = unknown, Plan = unknown> {
  readonly id: string;
  readonly service: string;
  readonly environment: string;
  /** The version the release deploys. */
  readonly version: string;
  readonly fromVersion: string | null;
  readonly plan: Plan;
  /** The engine's serialisable state. */
  readonly state: State;
  readonly status: string;
  /** Starts at 1, +1 per recorded transition: what `expectedRevision` compares with. */
  readonly revision: number;
  readonly createdBy: string;
  readonly reason: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface NewReleaseRecord {
  /** A uuid is drawn when absent. */
  readonly id?: string;
  readonly service: string;
  readonly environment: string;
  readonly version: string;
  readonly fromVersion?: string | null;
  readonly plan: unknown;
  readonly state: unknown;
  /** Default `running`. */
  readonly status?: string;
  readonly createdBy: string;
  readonly reason?: string | null;
}

interface ReleaseRow {
  id: string;
  service: string;
  environment: string;
  version: string;
  from_version: string | null;
  plan: unknown;
  state: unknown;
  status: string;
  revision: number;
  created_by: string;
  reason: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  'id, service, environment, version, from_version, plan, state, status, revision, created_by, reason, created_at, updated_at';

function toRecord<S, P>(row: ReleaseRow): ReleaseRecord<S, P> {
  return {
    id: row.id,
    service: row.service,
    environment: row.environment,
    version: row.version,
    fromVersion: row.from_version,
    plan: row.plan as P,
    state: row.state as S,
    status: row.status,
    revision: Number(row.revision),
    createdBy: row.created_by,
    reason: row.reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function activeConflict(service: string, environment: string, active: ReleaseRecord | undefined): SwitchyardError {
  const who = active
    ? `release ${active.id} (${active.version}, ${active.status}, started by ${active.createdBy})`
    : 'another release';
  return new SwitchyardError('SWY_RELEASE_CONFLICT', {
    message: `${service} in ${environment} already has an active release: ${who}`,
    details: {
      service,
      environment,
      ...(active ? { activeReleaseId: active.id, activeVersion: active.version, activeStatus: active.status } : {}),
    },
  });
}

/**
 * Records a new release. When it would be active while another release of the service is
 * active in the environment, the database refuses it and this throws
 * SWY_RELEASE_CONFLICT naming the active one: of concurrent deploys exactly one wins.
 */
export async function createRelease<S = unknown, P = unknown>(
  db: SqlClient,
  input: NewReleaseRecord,
): Promise<ReleaseRecord<S, P>> {
  const id = input.id ?? randomUUID();
  const status = input.status ?? 'running';
  try {
    const rows = await db.transaction((tx) =>
      tx.query<ReleaseRow>(
        `INSERT INTO releases (id, service, environment, version, from_version, plan, state, status, created_by, reason)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9, $10) RETURNING ${COLUMNS}`,
        [
          id,
          input.service,
          input.environment,
          input.version,
          input.fromVersion ?? null,
          json(input.plan),
          json(input.state),
          status,
          input.createdBy,
          input.reason ?? null,
        ],
      ),
    );
    return toRecord<S, P>(rows[0] as ReleaseRow);
  } catch (err) {
    if (isUniqueViolation(err, 'releases_one_active'))
      throw activeConflict(
        input.service,
        input.environment,
        await findActiveRelease(db, input.service, input.environment),
      );
    throw err;
  }
}

export async function getRelease<S = unknown, P = unknown>(
  db: SqlClient,
  id: string,
): Promise<ReleaseRecord<S, P> | undefined> {
  const rows = await db.query<ReleaseRow>(`SELECT ${COLUMNS} FROM releases WHERE id = $1`, [id]);
  return rows[0] ? toRecord<S, P>(rows[0]) : undefined;
}

/** Several releases by id in one query (a page of events names a few); unknown ids are left out. */
export async function getReleases<S = unknown, P = unknown>(
  db: SqlClient,
  ids: readonly string[],
): Promise<ReleaseRecord<S, P>[]> {
  if (ids.length === 0) return [];
  const rows = await db.query<ReleaseRow>(
    `SELECT ${COLUMNS} FROM releases WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb))`,
    [JSON.stringify(ids)],
  );
  return rows.map((r) => toRecord<S, P>(r));
}

/** Like getRelease, but a missing release is SWY_RELEASE_NOT_FOUND. */
export async function requireRelease<S = unknown, P = unknown>(
  db: SqlClient,
  id: string,
): Promise<ReleaseRecord<S, P>> {
  const release = await getRelease<S, P>(db, id);
  if (!release) throw releaseNotFound(id);
  return release;
}

export function releaseNotFound(id: string): SwitchyardError {
  return new SwitchyardError('SWY_RELEASE_NOT_FOUND', {
    message: `The release ${id} does not exist`,
    details: { releaseId: id },
  });
}

export async function findActiveRelease<S = unknown, P = unknown>(
  db: SqlClient,
  service: string,
  environment: string,
): Promise<ReleaseRecord<S, P> | undefined> {
  const rows = await db.query<ReleaseRow>(
    `SELECT ${COLUMNS} FROM releases WHERE service = $1 AND environment = $2 AND active`,
    [service, environment],
  );
  return rows[0] ? toRecord<S, P>(rows[0]) : undefined;
}

/** Every active release, oldest first: what a restarted server resumes. */
export async function listActiveReleases<S = unknown, P = unknown>(
  db: SqlClient,
  environment?: string,
): Promise<ReleaseRecord<S, P>[]> {
  const rows = await db.query<ReleaseRow>(
    `SELECT ${COLUMNS} FROM releases WHERE active AND ($1::text IS NULL OR environment = $1) ORDER BY created_at, id`,
    [environment ?? null],
  );
  return rows.map((r) => toRecord<S, P>(r));
}

export interface ReleaseFilter {
  readonly service?: string;
  readonly environment?: string;
  readonly statuses?: readonly string[];
  /** Default 50. */
  readonly limit?: number;
}

/** Newest first. */
export async function listReleases<S = unknown, P = unknown>(
  db: SqlClient,
  filter: ReleaseFilter = {},
): Promise<ReleaseRecord<S, P>[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.service !== undefined) where.push(`service = $${params.push(filter.service)}`);
  if (filter.environment !== undefined) where.push(`environment = $${params.push(filter.environment)}`);
  if (filter.statuses !== undefined)
    where.push(`status IN (SELECT jsonb_array_elements_text($${params.push(JSON.stringify(filter.statuses))}::jsonb))`);
  const sql = `SELECT ${COLUMNS} FROM releases ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT $${params.push(filter.limit ?? 50)}`;
  return (await db.query<ReleaseRow>(sql, params)).map((r) => toRecord<S, P>(r));
}

/**
 * Releases of the environment that ended in one of `statuses` at or after `since` and are still
 * the newest release of their service (none was started after them): newest end first.
 */
export async function listEndedReleases<S = unknown, P = unknown>(
  db: SqlClient,
  environment: string,
  statuses: readonly string[],
  since: Date,
  limit: number,
): Promise<ReleaseRecord<S, P>[]> {
  const sql = `SELECT ${COLUMNS} FROM releases r
    WHERE environment = $1
      AND status IN (SELECT jsonb_array_elements_text($2::jsonb))
      AND updated_at >= $3
      AND NOT EXISTS (
        SELECT 1 FROM releases n
        WHERE n.service = r.service AND n.environment = r.environment AND n.created_at > r.created_at
      )
    ORDER BY updated_at DESC, id DESC LIMIT $4`;
  return (await db.query<ReleaseRow>(sql, [environment, JSON.stringify(statuses), since, limit])).map((r) =>
    toRecord<S, P>(r),
  );
}

/** The conflict error for a status change that would make a second active release (used by recordTransition). */
export async function activeReleaseConflict(db: SqlClient, releaseId: string): Promise<SwitchyardError> {
  const release = await requireRelease(db, releaseId);
  const active = await findActiveRelease(db, release.service, release.environment);
  return activeConflict(release.service, release.environment, active);
}
