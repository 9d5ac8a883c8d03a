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
  /** Alerts run on the leader only: one replica notifies. */
  readonly alerts?: { start(): void; stop(): void };
}

export interface ReplicaOptions {
  readonly store: Store;
  readonly environments: readonly LedEnvironment[];
  readonly configRepo: ConfigRepo;
  readonly releases: ReleaseReader;
  /** Acts on new commits of a followed configuration repository: only the leader applies them. */
  readonly follower?: { start(): void; stop(): Promise<void> };
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
 * Standing by: the orchestrators are halted; what the leader commits is fetched and event
 * streams are woken, so reads served here stay current (status reads the cluster itself).
 */
export function replicaLeadership(options: ReplicaOptions): Leadership {
  const { store, environments, configRepo, say } = options;
  const names = environments.map((e) => e.name);
  let seenMark: string | undefined;
  let seenSeq: number | undefined;
  const catchUp = async () => {
    const mark = await desiredMark(store, names);
    if (mark !== seenMark) {
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
    // The one place leadership is gained: each runtime reads what runs again (another replica
    // may have changed it) and starts what only the leader runs (worker autoscalers), then the
    // releases resume and new configuration commits are taken.
    lead: async () => {
      seenMark = undefined;
      for (const env of environments) await env.runtime.lead();
      await catchUp();
      for (const env of environments) {
        await env.orchestrator.recover();
        env.orchestrator.start();
        env.alerts?.start();
      }
      options.follower?.start();
    },
    // The one place leadership is lost: nothing new starts from here on.
    follow: async () => {
      for (const env of environments) env.alerts?.stop();
      await Promise.all([
        options.follower?.stop(),
        ...environments.flatMap((env) => [env.orchestrator.halt(), env.runtime.follow()]),
      ]);
    },
    standingBy: async () => {
      await catchUp();
      const seq = await options.releases.latestSeq();
      if (seenSeq !== undefined && seq !== seenSeq) for (const env of environments) env.bus.emit('event');
      seenSeq = seq;
    },
  });
}
