import type { Migration } from './types.js';

/**
 * What the alerts must not forget across a restart or a change of leader: what each group last
 * notified, every notification decided (the alert history) with, per receiver, when it took it,
 * and what the runtimes reported of scaling and failures, for the incident timeline.
 */
export const alertHistory: Migration = {
  version: 7,
  name: 'alert state, alert history and deliveries, runtime events',
  statements: [
    `CREATE TABLE alert_groups (
      environment text NOT NULL,
      service text NOT NULL,
      state text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (environment, service)
    )`,
    `CREATE TABLE alert_notifications (
      id bigserial PRIMARY KEY,
      environment text NOT NULL,
      service text NOT NULL,
      status text NOT NULL CHECK (status IN ('firing', 'resolved')),
      at timestamptz NOT NULL,
      findings jsonb NOT NULL
    )`,
    `CREATE INDEX alert_notifications_by_environment ON alert_notifications (environment, at)`,
    `CREATE TABLE alert_deliveries (
      notification_id bigint NOT NULL REFERENCES alert_notifications (id),
      receiver text NOT NULL,
      delivered_at timestamptz,
      dropped_at timestamptz,
      PRIMARY KEY (notification_id, receiver)
    )`,
    `CREATE INDEX alert_deliveries_waiting ON alert_deliveries (receiver, notification_id)
      WHERE delivered_at IS NULL AND dropped_at IS NULL`,
    `CREATE TABLE runtime_events (
      seq bigserial PRIMARY KEY,
      environment text NOT NULL,
      at timestamptz NOT NULL DEFAULT now(),
      type text NOT NULL,
      service text NOT NULL,
      text text NOT NULL,
      payload jsonb NOT NULL
    )`,
    `CREATE INDEX runtime_events_by_environment ON runtime_events (environment, at)`,
  ],
};
