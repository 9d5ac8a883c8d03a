import { EventEmitter } from 'node:events';
import type { ConfigRepo } from '../config-repo/index.js';
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
}

export function newBus(): EventEmitter {
  const bus = new EventEmitter();
  bus.setMaxListeners(1000);
  return bus;
}
