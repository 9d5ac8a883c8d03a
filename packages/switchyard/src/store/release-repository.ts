import type {
  Command,
  EndedRelease,
  RecordedEvent,
  ReleaseEvent,
  ReleaseQuery,
  ReleaseReader,
  ReleaseRepository,
  ReleaseState,
  ReleaseStatus,
  SequencedCommand,
  Transition,
} from '../release/index.js';
import {
  createRelease,
  findActiveRelease,
  getRelease,
  getReleases,
  listActiveReleases,
  listEndedReleases,
  listReleases,
} from './releases.js';
import type { SqlClient } from './sql.js';
import {
  latestEventSeq,
  listEventsAfter,
  listPendingCommands,
  listReleaseEvents,
  recordTransition,
} from './transitions.js';

function settled(event: ReleaseEvent) {
  if (event.type === 'command-done')
    return [{ seq: event.seq, status: 'done' as const, ...(event.result ? { result: event.result } : {}) }];
  if (event.type === 'command-failed')
    return [{ seq: event.seq, status: 'failed' as const, result: { error: event.error } }];
  return [];
}

/**
 * The release engine's repository on Switchyard's store (embedded or PostgreSQL): what the
 * orchestrator writes and resumes from, and what the API reads. A release's record keeps the
 * engine's state whole; the columns beside it (service, status, versions) are what queries filter on.
 */
export class StoreReleaseRepository implements ReleaseRepository, ReleaseReader {
  constructor(private readonly db: SqlClient) {}

  async create(before: ReleaseState, event: ReleaseEvent, transition: Transition): Promise<void> {
    await this.db.transaction(async (tx) => {
      await createRelease(tx, {
        id: before.id,
        service: before.service,
        environment: before.environment,
        version: before.version,
        fromVersion: before.from.versions[before.stableTrack] ?? null,
        plan: { name: before.plan, stages: before.stages },
        state: before,
        status: before.status,
        createdBy: before.createdBy,
        reason: before.reason || null,
      });
      await this.write(tx, before.id, event, transition);
    });
  }

  async record(id: string, event: ReleaseEvent, transition: Transition): Promise<void> {
    await this.write(this.db, id, event, transition);
  }

  private async write(db: SqlClient, id: string, event: ReleaseEvent, transition: Transition): Promise<void> {
    await recordTransition(db, {
      releaseId: id,
      event: { type: event.type, payload: event, at: event.at },
      state: transition.state,
      status: transition.state.status,
      commands: transition.commands,
      settle: settled(event),
    });
  }

  async get(id: string): Promise<ReleaseState | undefined> {
    return (await getRelease<ReleaseState>(this.db, id))?.state;
  }

  async getMany(ids: readonly string[]): Promise<ReleaseState[]> {
    return (await getReleases<ReleaseState>(this.db, ids)).map((r) => r.state);
  }

  async list(query: ReleaseQuery): Promise<ReleaseState[]> {
    return (await listReleases<ReleaseState>(this.db, query)).map((r) => r.state);
  }

  async active(environment: string): Promise<ReleaseState[]> {
    return (await listActiveReleases<ReleaseState>(this.db, environment)).map((r) => r.state);
  }

  async activeFor(service: string, environment: string): Promise<ReleaseState | undefined> {
    return (await findActiveRelease<ReleaseState>(this.db, service, environment))?.state;
  }

  async ended(
    environment: string,
    statuses: readonly ReleaseStatus[],
    since: Date,
    limit: number,
  ): Promise<EndedRelease[]> {
    return (await listEndedReleases<ReleaseState>(this.db, environment, statuses, since, limit)).map((r) => ({
      release: r.state,
      endedAt: r.updatedAt.toISOString(),
    }));
  }

  async succeeded(service: string, environment: string): Promise<{ version: string; fromVersion: string | null }[]> {
    return (await listReleases(this.db, { service, environment, statuses: ['succeeded'], limit: 1000 })).map((r) => ({
      version: r.version,
      fromVersion: r.fromVersion,
    }));
  }

  async pending(id: string): Promise<SequencedCommand[]> {
    return (await listPendingCommands<Command>(this.db, id)).map((c) => ({ seq: c.seq, command: c.command }));
  }

  async events(id: string): Promise<RecordedEvent[]> {
    return (await listReleaseEvents(this.db, id)) as RecordedEvent[];
  }

  async eventsAfter(seq: number, limit: number, releaseId?: string): Promise<RecordedEvent[]> {
    return (await listEventsAfter(this.db, seq, limit, releaseId)) as RecordedEvent[];
  }

  latestSeq(): Promise<number> {
    return latestEventSeq(this.db);
  }
}
