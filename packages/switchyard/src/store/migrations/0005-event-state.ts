import type { Migration } from './types.js';

/**
 * The release's state right after each event, kept with the event: a client replaying the
 * event stream sees each stage as it was, not where the release stands when it reads. Events
 * recorded before this migration have none (null).
 */
export const eventState: Migration = {
  version: 5,
  name: 'release events: the release state after each event',
  statements: [`ALTER TABLE release_events ADD COLUMN state jsonb`],
};
