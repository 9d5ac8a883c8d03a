import { SwitchyardError } from '../errors/index.js';
import { activeReleaseConflict, releaseNotFound } from './releases.js';
import { isUniqueViolation, json, type SqlClient } from './sql.js';

export interface ReleaseEventRecord<Payload = unknown> {
  /** Global, increasing across releases: the server-sent events' id. */
  readonly seq: number;
  readonly releaseId: string;
  readonly at: Date;
  readonly type: string;
  readonly payload: Payload;
  /** The release's state right after the event (null for events recorded before it was kept). */
  readonly state: unknown;
}

export type CommandStatus = 'pending' | 'done' | 'failed';

export interface ReleaseCommandRecord<Command = unknown, Result = unknown> {
  readonly releaseId: string;
  /** Per release, given by the engine. */
  readonly seq: number;
  readonly command: Command;
  readonly status: CommandStatus;
  readonly result: Result | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface TransitionInput {
  readonly releaseId: string;
  /** What happened; `at` defaults to the database's clock. */
  readonly event: { readonly type: string; readonly payload?: unknown; readonly at?: Date | string };
  /** The engine's state after the event. */
  readonly state: unknown;
  /** The engine's status after the event. */
  readonly status: string;
  /** Commands the transition emitted, with the engine's sequence numbers; stored as pending. */
  readonly commands?: readonly { readonly seq: number; readonly command: unknown }[];
  /**
   * Commands this event reports on (command-done / command-failed), settled in the same
   * transaction: a crash can then never leave a command settled whose event the engine lost.
   */
  readonly settle?: readonly SettleInput[];
  /** When given, the release must still be at this revision (optimistic concurrency). */
  readonly expectedRevision?: number;
}

export interface SettleInput {
  readonly seq: number;
  readonly status: 'done' | 'failed';
  readonly result?: unknown;
}

export interface TransitionRecord {
  readonly eventSeq: number;
  /** The release's revision after this transition. */
  readonly revision: number;
}

/**
 * Persists one step of the engine atomically: the new state and status, the event that
 * caused it and the commands it emitted, all or nothing. On a transaction's client it joins
 * the caller's transaction (as a savepoint).
 *
 * Transitions of one release are serialised by the release row's lock; one that would make a
 * second active release of its service is SWY_RELEASE_CONFLICT, one whose
 * `expectedRevision` is stale is SWY_STORE_RELEASE_STALE.
 */
export async function recordTransition(db: SqlClient, input: TransitionInput): Promise<TransitionRecord> {
  try {
    return await db.transaction(async (tx) => {
      const updated = await tx.query<{ revision: number }>(
        `UPDATE releases SET state = $2::jsonb, status = $3, revision = revision + 1, updated_at = now()
         WHERE id = $1 AND ($4::integer IS NULL OR revision = $4::integer) RETURNING revision`,
        [input.releaseId, json(input.state), input.status, input.expectedRevision ?? null],
      );
      if (!updated[0]) {
        const current = await tx.query<{ revision: number }>('SELECT revision FROM releases WHERE id = $1', [
          input.releaseId,
        ]);
        if (!current[0]) throw releaseNotFound(input.releaseId);
        throw new SwitchyardError('SWY_STORE_RELEASE_STALE', {
          message: `The release ${input.releaseId} is at revision ${current[0].revision}, not ${input.expectedRevision}: another process changed it`,
          details: {
            releaseId: input.releaseId,
            revision: Number(current[0].revision),
            expectedRevision: input.expectedRevision,
          },
        });
      }
      const at = input.event.at === undefined ? null : new Date(input.event.at).toISOString();
      const event = await tx.query<{ seq: number }>(
        `INSERT INTO release_events (release_id, at, type, payload, state)
         VALUES ($1, coalesce($2::timestamptz, now()), $3, $4::jsonb, $5::jsonb) RETURNING seq`,
        [input.releaseId, at, input.event.type, json(input.event.payload ?? {}), json(input.state)],
      );
      if (input.commands && input.commands.length > 0) {
        await tx.query(
          `INSERT INTO release_commands (release_id, seq, command)
           SELECT $1, (c->>'seq')::integer, c->'command' FROM jsonb_array_elements($2::jsonb) AS c`,
          [input.releaseId, json(input.commands.map((c) => ({ seq: c.seq, command: c.command })))],
        );
      }
      for (const settled of input.settle ?? []) await settleCommand(tx, { releaseId: input.releaseId, ...settled });
      return { eventSeq: Number(event[0]?.seq), revision: Number(updated[0].revision) };
    });
  } catch (err) {
    if (isUniqueViolation(err, 'releases_one_active')) throw await activeReleaseConflict(db, input.releaseId);
    throw err;
  }
}

/** Appends an event without changing the release (a note, a gate reading). */
export async function appendReleaseEvent(
  db: SqlClient,
  releaseId: string,
  event: TransitionInput['event'],
): Promise<number> {
  const at = event.at === undefined ? null : new Date(event.at).toISOString();
  const rows = await db.query<{ seq: number }>(
    `INSERT INTO release_events (release_id, at, type, payload, state)
     SELECT id, coalesce($2::timestamptz, now()), $3, $4::jsonb, state FROM releases WHERE id = $1 RETURNING seq`,
    [releaseId, at, event.type, json(event.payload ?? {})],
  );
  if (!rows[0]) throw releaseNotFound(releaseId);
  return Number(rows[0].seq);
}

interface EventRow {
  seq: number;
  release_id: string;
  at: Date;
  type: string;
  payload: unknown;
  state: unknown;
}

function toEvent<P>(row: EventRow): ReleaseEventRecord<P> {
  return {
    seq: Number(row.seq),
    releaseId: row.release_id,
    at: row.at,
    type: row.type,
    payload: row.payload as P,
    state: row.state ?? null,
  };
}

/** The events of one release in order, optionally only those after `afterSeq`. */
export async function listReleaseEvents<P = unknown>(
  db: SqlClient,
  releaseId: string,
  options: { afterSeq?: number; limit?: number } = {},
): Promise<ReleaseEventRecord<P>[]> {
  const rows = await db.query<EventRow>(
    'SELECT seq, release_id, at, type, payload, state FROM release_events WHERE release_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
    [releaseId, options.afterSeq ?? 0, options.limit ?? 10_000],
  );
  return rows.map((r) => toEvent<P>(r));
}

/**
 * Events of every release after `afterSeq`, in order: what a server-sent events stream sends
 * a client that reconnects with Last-Event-ID.
 *
 * A sequence number is drawn when a transaction inserts, not when it commits, so a lower seq
 * can become visible after a higher one. Only events written by transactions older than every
 * transaction still running are returned: a reader that resumes after the last seq it saw
 * never skips one. (A transaction left open elsewhere in the cluster holds events back until
 * it ends.)
 */
export async function listEventsAfter<P = unknown>(
  db: SqlClient,
  afterSeq: number,
  limit = 1000,
  releaseId?: string,
): Promise<ReleaseEventRecord<P>[]> {
  const rows = await db.query<EventRow>(
    `SELECT seq, release_id, at, type, payload, state FROM release_events
     WHERE seq > $1 AND ($3::text IS NULL OR release_id = $3) AND xid < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY seq LIMIT $2`,
    [afterSeq, limit, releaseId ?? null],
  );
  return rows.map((r) => toEvent<P>(r));
}

/** The newest event's sequence number (0 before any): where a stream that wants only what comes next starts. */
export async function latestEventSeq(db: SqlClient): Promise<number> {
  const rows = await db.query<{ seq: number | null }>('SELECT max(seq) AS seq FROM release_events');
  return Number(rows[0]?.seq ?? 0);
}

interface CommandRow {
  release_id: string;
  seq: number;
  command: unknown;
  status: CommandStatus;
  result: unknown;
  created_at: Date;
  updated_at: Date;
}

function toCommand<C, R>(row: CommandRow): ReleaseCommandRecord<C, R> {
  return {
    releaseId: row.release_id,
    seq: Number(row.seq),
    command: row.command as C,
    status: row.status,
    result: (row.result ?? null) as R | null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const COMMAND_COLUMNS = 'release_id, seq, command, status, result, created_at, updated_at';

/** The commands of a release still to run, in order: what a restarted server executes again. */
export async function listPendingCommands<C = unknown>(
  db: SqlClient,
  releaseId: string,
): Promise<ReleaseCommandRecord<C>[]> {
  const rows = await db.query<CommandRow>(
    `SELECT ${COMMAND_COLUMNS} FROM release_commands WHERE release_id = $1 AND status = 'pending' ORDER BY seq`,
    [releaseId],
  );
  return rows.map((r) => toCommand<C, unknown>(r));
}

export async function listCommands<C = unknown, R = unknown>(
  db: SqlClient,
  releaseId: string,
): Promise<ReleaseCommandRecord<C, R>[]> {
  const rows = await db.query<CommandRow>(
    `SELECT ${COMMAND_COLUMNS} FROM release_commands WHERE release_id = $1 ORDER BY seq`,
    [releaseId],
  );
  return rows.map((r) => toCommand<C, R>(r));
}

/**
 * Settles a pending command as done or failed, with its result. Settling a command that is
 * already settled changes nothing and returns it as it is (a restarted executor may report a
 * command twice); an unknown command is SWY_STORE_COMMAND_NOT_FOUND.
 */
export async function settleCommand<C = unknown, R = unknown>(
  db: SqlClient,
  input: SettleInput & { readonly releaseId: string },
): Promise<ReleaseCommandRecord<C, R>> {
  const rows = await db.query<CommandRow>(
    `UPDATE release_commands SET status = $3, result = $4::jsonb, updated_at = now()
     WHERE release_id = $1 AND seq = $2 AND status = 'pending' RETURNING ${COMMAND_COLUMNS}`,
    [input.releaseId, input.seq, input.status, json(input.result)],
  );
  if (rows[0]) return toCommand<C, R>(rows[0]);
  const existing = await db.query<CommandRow>(
    `SELECT ${COMMAND_COLUMNS} FROM release_commands WHERE release_id = $1 AND seq = $2`,
    [input.releaseId, input.seq],
  );
  if (existing[0]) return toCommand<C, R>(existing[0]);
  throw new SwitchyardError('SWY_STORE_COMMAND_NOT_FOUND', {
    message: `The release ${input.releaseId} has no command ${input.seq}`,
    details: { releaseId: input.releaseId, seq: input.seq },
  });
}
