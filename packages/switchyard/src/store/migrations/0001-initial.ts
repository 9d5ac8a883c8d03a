import type { Migration } from './types.js';

const appendOnly = (table: string): string[] => [
  `CREATE TRIGGER ${table}_append_only_row BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION switchyard_append_only()`,
  `CREATE TRIGGER ${table}_append_only_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION switchyard_append_only()`,
];

export const initial: Migration = {
  version: 1,
  name: 'releases, events, commands, desired state, tokens, audit log, idempotency keys',
  statements: [
    `CREATE FUNCTION switchyard_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$`,

    `CREATE TABLE releases (
  id text PRIMARY KEY,
  service text NOT NULL,
  environment text NOT NULL,
  version text NOT NULL,
  from_version text,
  plan jsonb NOT NULL,
  state jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'paused', 'rolling-back', 'succeeded', 'rolled-back', 'aborted', 'failed')),
  revision integer NOT NULL DEFAULT 1,
  created_by text NOT NULL,
  reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
)`,
    // At most one active release per service and environment, decided by the database so
    // that of two concurrent deploys exactly one wins.
    `CREATE UNIQUE INDEX releases_one_active ON releases (service, environment) WHERE status IN ('running', 'paused', 'rolling-back')`,
    `CREATE INDEX releases_by_service ON releases (service, environment, created_at DESC)`,

    // xid: the writing transaction, so that readers resuming after a seq never skip an event
    // whose lower seq committed after a higher one (see listEventsAfter).
    `CREATE TABLE release_events (
  seq bigserial PRIMARY KEY,
  release_id text NOT NULL REFERENCES releases (id),
  at timestamptz NOT NULL DEFAULT now(),
  type text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}',
  xid xid8 NOT NULL DEFAULT pg_current_xact_id()
)`,
    `CREATE INDEX release_events_by_release ON release_events (release_id, seq)`,
    ...appendOnly('release_events'),

    `CREATE TABLE release_commands (
  release_id text NOT NULL REFERENCES releases (id),
  seq integer NOT NULL CHECK (seq > 0),
  command jsonb NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
  result jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (release_id, seq)
)`,
    `CREATE INDEX release_commands_pending ON release_commands (release_id, seq) WHERE status = 'pending'`,

    `CREATE TABLE desired_state (
  environment text NOT NULL,
  service text NOT NULL,
  state jsonb NOT NULL,
  release_id text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (environment, service)
)`,

    `CREATE TABLE api_tokens (
  id text PRIMARY KEY,
  name text NOT NULL,
  token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  roles jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
)`,

    `CREATE TABLE audit_log (
  seq bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  action text NOT NULL,
  target text NOT NULL,
  environment text,
  outcome text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}',
  reason text
)`,
    `CREATE INDEX audit_log_by_environment ON audit_log (environment, seq)`,
    ...appendOnly('audit_log'),

    `CREATE TABLE idempotency_keys (
  key text NOT NULL,
  actor text NOT NULL,
  method text NOT NULL,
  path text NOT NULL,
  body_hash text NOT NULL,
  response_status integer,
  response_body jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  PRIMARY KEY (key, actor)
)`,
    `CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at)`,
  ],
};
