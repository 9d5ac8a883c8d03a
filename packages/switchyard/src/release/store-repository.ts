import { createRelease, getRelease, listActiveReleases, listPendingCommands, listReleases, recordTransition, type SqlClient } from '../store/index.js';
import type { ReleaseRepository } from './ports.js';
import type { Command, ReleaseEvent, ReleaseState, SequencedCommand, Transition } from './types.js';

function settled(event: ReleaseEvent) {
  if (event.type === 'command-done') return [{ seq: event.seq, status: 'done' as const, ...(event.result ? { result: event.result } : {}) }];
  if (event.type === 'command-failed') return [{ seq: event.seq, status: 'failed' as const, result: { error: event.error } }];
  return [];
}

/** The release engine's repository on Switchyard's store (embedded or PostgreSQL). */
export class StoreReleaseRepository implements ReleaseRepository {
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

  async active(): Promise<ReleaseState[]> {
    return (await listActiveReleases<ReleaseState>(this.db)).map((r) => r.state);
  }

  async succeeded(service: string, environment: string): Promise<{ version: string; fromVersion: string | null }[]> {
    return (await listReleases(this.db, { service, environment, statuses: ['succeeded'], limit: 1000 })).map((r) => ({ version: r.version, fromVersion: r.fromVersion }));
  }

  async pending(id: string): Promise<SequencedCommand[]> {
    return (await listPendingCommands<Command>(this.db, id)).map((c) => ({ seq: c.seq, command: c.command }));
  }
}
