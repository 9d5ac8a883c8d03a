import type { Migration } from './types.js';

/**
 * Who leads the replicas sharing this store: one row, written only by the replica holding the
 * leader's advisory lock. `term` grows with each new leader, so a reader can tell a takeover
 * from the same leader seen again; `address` is where standbys hand writes.
 */
export const leader: Migration = {
  version: 4,
  name: 'leader: the replica that runs release engines, its advertised API address and term',
  statements: [
    `CREATE TABLE leader (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  term bigint NOT NULL CHECK (term > 0),
  holder text NOT NULL,
  address text NOT NULL,
  since timestamptz NOT NULL DEFAULT now()
)`,
  ],
};
