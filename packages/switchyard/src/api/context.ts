import { EventEmitter } from 'node:events';
import type { QueueReadingSource } from '@switchyard/worker';
import type { Alerter } from '../alerts/index.js';
import type { ConfigRepo } from '../config-repo/index.js';
import type { Issue } from '../errors/index.js';
import type { Orchestrator, ReleaseReader } from '../release/index.js';
import type { Runtime } from '../runtime/index.js';
import type { Fleet } from '../spec/index.js';
import type { Store } from '../store/index.js';

/** What the API's routes work with. */
export interface ApiContext {
  readonly fleet: Fleet;
  readonly runtime: Runtime;
  readonly store: Store;
  readonly orchestrator: Orchestrator;
  /** Releases and their events as the API shows them; changes go through the orchestrator. */
  readonly releases: ReleaseReader;
  readonly configRepo: ConfigRepo;
  /** Emits `event` when a release event was recorded, so open streams read the store at once. */
  readonly bus: EventEmitter;
  /** Where the configuration comes from and which commit is served (GET /v1/config, the webhook). */
  readonly config?: ConfigFollowing;
  /** The environment's alerts: each health evaluation goes through them (the leader's only send). */
  readonly alerts?: Pick<Alerter, 'observe' | 'failing'>;
  /** Where health reads the workers' queues (the broker's management API); absent: no queue checks. */
  readonly queues?: QueueReadingSource;
}

/** A commit of the configuration the server did not take, and why. */
export interface ConfigRefusal {
  readonly commit: string;
  readonly author: string;
  readonly subject: string;
  /** SWY_SPEC_INVALID, SWY_CONFIG_CONFLICT, SWY_CONFIG_ENVIRONMENT_CHANGED… */
  readonly code: string;
  readonly message: string;
  readonly hint: string;
  /** Every problem: file, line, path, what is wrong, how to fix it. */
  readonly issues: readonly Issue[];
  readonly at: string;
}

/** The configuration as the server follows it. */
export interface ConfigStatus {
  readonly source: 'git' | 'directory';
  /** The git URL (without credentials) or the directory. */
  readonly location: string;
  readonly branch?: string;
  readonly path?: string;
  /** The commit whose specs run now. */
  readonly servedCommit?: string;
  /** The newest commit of the branch fetched. */
  readonly lastSeenCommit?: string;
  readonly checkedAt?: string;
  /** 0: no polling. */
  readonly pollSeconds?: number;
  /** Whether POST /v1/hooks/config takes deliveries (a secret is set). */
  readonly webhook: boolean;
  /** The newest commit refused, while it is the branch's newest. */
  readonly refused?: ConfigRefusal;
  /** The newest commit waits: a release in progress of a service it changes keeps its spec until it ends. */
  readonly waiting?: { readonly commit: string; readonly releases: readonly { service: string; release: string }[] };
  /** The last fetch failed (the served commit keeps running). */
  readonly fetchError?: { readonly code: string; readonly message: string; readonly at: string };
}

/** What the API asks of the configuration follower (the server implements it). */
export interface ConfigFollowing {
  status(): ConfigStatus;
  /** Fetches and judges the newest commit now; resolves with the status once done. */
  check(trigger: string): Promise<ConfigStatus>;
  /** The secret webhook deliveries are signed with; undefined: the webhook refuses. */
  readonly webhookSecret: string | undefined;
}

export function newBus(): EventEmitter {
  const bus = new EventEmitter();
  bus.setMaxListeners(1000);
  return bus;
}
