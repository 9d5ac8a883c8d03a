import type { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { ConfigRepo } from '../config-repo/index.js';
import type { Orchestrator, ReleaseReader } from '../release/index.js';
import type { Runtime } from '../runtime/index.js';
import { leaderLock, readLeader, recordLeader, type SqlClient, type Store } from '../store/index.js';
import { Leadership } from './leadership.js';

/** One environment as leadership drives it. */
export interface LedEnvironment {
  readonly name: string;
  readonly runtime: Runtime;
  readonly orchestrator: Orchestrator;
  /** Woken when release events were recorded, so a standby's event streams follow the leader's releases. */
  readonly bus: EventEmitter;
}

export interface ReplicaOptions {
  readonly store: Store;
  readonly environments: readonly LedEnvironment[];
  readonly configRepo: ConfigRepo;
  readonly releases: ReleaseReader;
  /** This replica's API, as the other replicas reach it. */
  readonly address: string;
  readonly retryMs?: number;
  readonly say: (line: string) => void;
}

/** A marker of what the leader changed: the newest desired-state write of the environments served. */
async function desiredMark(db: SqlClient, environments: readonly string[]): Promise<string> {
  const [row] = await db.query<{ mark: Date | null; n: number }>(
    'SELECT max(updated_at) AS mark, count(*)::integer AS n FROM desired_state WHERE environment = ANY($1::text[])',
    [environments],
  );
  return `${row?.mark?.toISOString() ?? ''}/${row?.n ?? 0}`;
}

/**
 * Leadership of this server among the replicas sharing its store. Leading: every
 * environment's runtime reads what runs again, the config repository catches up with its
 * remote, then each orchestrator recovers and resumes its releases exactly where they stopped.
 * Standing by: the orchestrators are halted, and what the leader changes is followed (runtimes
 * read again, event streams woken) so reads served here stay current.
 */
export function replicaLeadership(options: ReplicaOptions): Leadership {
  const { store, environments, configRepo, say } = options;
  const names = environments.map((e) => e.name);
  let seenMark: string | undefined;
  let seenSeq: number | undefined;
  const catchUp = async () => {
    const mark = await desiredMark(store, names);
    if (mark !== seenMark) {
      for (const env of environments) await env.runtime.reload?.();
      await configRepo.refresh().catch((err: unknown) => say(`⚠ config repository: ${(err as Error).message}`));
      seenMark = mark;
    }
  };
  return new Leadership({
    lock: leaderLock(store),
    registry: { record: (who) => recordLeader(store, who), read: () => readLeader(store) },
    holder: `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`,
    address: options.address,
    replicas: store.engine === 'postgres',
    ...(options.retryMs !== undefined ? { retryMs: options.retryMs } : {}),
    say,
    lead: async () => {
      seenMark = undefined;
      await catchUp();
      for (const env of environments) {
        await env.orchestrator.recover();
        env.orchestrator.start();
      }
      // Leadership gained: things only the leader runs on a runtime (worker autoscalers) start here.
    },
    follow: async () => {
      // Leadership lost: things only the leader runs on a runtime stop here, before anything else.
      await Promise.all(environments.map((env) => env.orchestrator.halt()));
    },
    standingBy: async () => {
      await catchUp();
      const seq = await options.releases.latestSeq();
      if (seenSeq !== undefined && seq !== seenSeq) for (const env of environments) env.bus.emit('event');
      seenSeq = seq;
    },
  });
}
