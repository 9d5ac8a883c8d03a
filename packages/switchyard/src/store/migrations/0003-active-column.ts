import type { Migration } from './types.js';

/**
 * Which statuses are active is said once, here: a generated column the one-active index and
 * every query for active releases use, so the store keeps no list of its own.
 */
export const activeColumn: Migration = {
  version: 3,
  name: 'releases.active, generated from the status; the one-active index on it',
  statements: [
    `ALTER TABLE releases ADD COLUMN active boolean GENERATED ALWAYS AS (status IN ('running', 'paused', 'rolling-back')) STORED`,
    'DROP INDEX releases_one_active',
    'CREATE UNIQUE INDEX releases_one_active ON releases (service, environment) WHERE active',
  ],
};
