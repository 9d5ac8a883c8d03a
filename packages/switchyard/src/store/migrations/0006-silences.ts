import type { Migration } from './types.js';

/** Silences of alerts: who muted which findings of an environment, why, and until when. */
export const silences: Migration = {
  version: 6,
  name: 'alert silences',
  statements: [
    `CREATE TABLE silences (
      id uuid PRIMARY KEY,
      environment text NOT NULL,
      services jsonb,
      checks jsonb,
      author text NOT NULL,
      reason text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      expired_at timestamptz,
      expired_by text
    )`,
    `CREATE INDEX silences_environment ON silences (environment, expires_at)`,
  ],
};
