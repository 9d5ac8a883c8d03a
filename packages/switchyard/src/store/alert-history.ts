import type { AlertJournal, AlertState, GroupState, Notification, WaitingNotification } from '../alerts/index.js';
import { json, type SqlClient } from './sql.js';

/** One notification the alerts decided, and per receiver when it took it (the alert history). */
export interface AlertNotificationRecord extends Notification {
  readonly id: string;
  readonly deliveries: readonly {
    readonly receiver: string;
    readonly deliveredAt: string | null;
    readonly droppedAt: string | null;
  }[];
}

interface NotificationRow {
  id: number | string;
  environment: string;
  service: string;
  status: 'firing' | 'resolved';
  at: Date;
  findings: Notification['findings'];
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

const notificationOf = (r: NotificationRow): Notification => ({
  status: r.status,
  environment: r.environment,
  service: r.service,
  at: new Date(r.at).toISOString(),
  findings: r.findings,
});

/** The environment's alert state: per service, what was notified. */
export async function loadAlertState(db: SqlClient, environment: string): Promise<AlertState> {
  const rows = await db.query<{ service: string; state: string }>(
    'SELECT service, state FROM alert_groups WHERE environment = $1 ORDER BY service',
    [environment],
  );
  return Object.fromEntries(rows.map((r) => [`${environment}/${r.service}`, JSON.parse(r.state) as GroupState]));
}

/** What receivers have still to take in the environment, oldest first. */
export async function listWaitingNotifications(db: SqlClient, environment: string): Promise<WaitingNotification[]> {
  const rows = await db.query<NotificationRow & { receiver: string }>(
    `SELECT n.id, n.environment, n.service, n.status, n.at, n.findings, d.receiver
       FROM alert_deliveries d JOIN alert_notifications n ON n.id = d.notification_id
      WHERE n.environment = $1 AND d.delivered_at IS NULL AND d.dropped_at IS NULL
      ORDER BY n.id, d.receiver`,
    [environment],
  );
  return rows.map((r) => ({ id: String(r.id), receiver: r.receiver, notification: notificationOf(r) }));
}

/**
 * Keeps an environment's state after a step and the notifications it decided, each waiting
 * for every receiver, in one transaction. Answers the notifications' ids, in order.
 */
export async function recordAlertStep(
  db: SqlClient,
  environment: string,
  state: AlertState,
  notifications: readonly Notification[],
  receivers: readonly string[],
): Promise<string[]> {
  const prefix = `${environment}/`;
  const groups = Object.entries(state)
    .filter(([key]) => key.startsWith(prefix))
    .map(([key, group]) => ({ service: key.slice(prefix.length), state: group }));
  return db.transaction(async (tx) => {
    // Text, not jsonb: a group's finding keys hold NUL separators, which jsonb refuses.
    await tx.query('DELETE FROM alert_groups WHERE environment = $1', [environment]);
    for (const g of groups)
      await tx.query('INSERT INTO alert_groups (environment, service, state) VALUES ($1, $2, $3)', [
        environment,
        g.service,
        JSON.stringify(g.state),
      ]);
    const ids: string[] = [];
    for (const n of notifications) {
      const rows = await tx.query<{ id: number | string }>(
        `INSERT INTO alert_notifications (environment, service, status, at, findings)
         VALUES ($1, $2, $3, $4, $5::jsonb) RETURNING id`,
        [n.environment, n.service, n.status, n.at, json(n.findings)],
      );
      const id = String(rows[0]?.id);
      if (receivers.length > 0)
        await tx.query(
          `INSERT INTO alert_deliveries (notification_id, receiver) SELECT $1, r FROM jsonb_array_elements_text($2::jsonb) AS r`,
          [id, json(receivers)],
        );
      ids.push(id);
    }
    return ids;
  });
}

export async function markAlertDelivered(db: SqlClient, id: string, receiver: string, at: Date): Promise<void> {
  await db.query(
    'UPDATE alert_deliveries SET delivered_at = $3 WHERE notification_id = $1 AND receiver = $2 AND delivered_at IS NULL',
    [id, receiver, at],
  );
}

export async function markAlertDropped(db: SqlClient, id: string, receiver: string, at: Date): Promise<void> {
  await db.query(
    'UPDATE alert_deliveries SET dropped_at = $3 WHERE notification_id = $1 AND receiver = $2 AND delivered_at IS NULL',
    [id, receiver, at],
  );
}

export interface AlertHistoryFilter {
  readonly since: Date;
  readonly until: Date;
  readonly service?: string;
  /** Default 1000. */
  readonly limit?: number;
}

/** The environment's notifications in a window, oldest first, with their deliveries. */
export async function listAlertHistory(
  db: SqlClient,
  environment: string,
  filter: AlertHistoryFilter,
): Promise<AlertNotificationRecord[]> {
  const rows = await db.query<
    NotificationRow & { deliveries: { receiver: string; delivered_at: string | null; dropped_at: string | null }[] }
  >(
    `SELECT n.id, n.environment, n.service, n.status, n.at, n.findings,
            coalesce((SELECT jsonb_agg(jsonb_build_object('receiver', d.receiver, 'delivered_at', d.delivered_at,
                        'dropped_at', d.dropped_at) ORDER BY d.receiver)
                        FROM alert_deliveries d WHERE d.notification_id = n.id), '[]'::jsonb) AS deliveries
       FROM alert_notifications n
      WHERE n.environment = $1 AND n.at >= $2 AND n.at < $3 AND ($4::text IS NULL OR n.service = $4)
      ORDER BY n.at, n.id LIMIT $5`,
    [environment, filter.since, filter.until, filter.service ?? null, filter.limit ?? 1000],
  );
  return rows.map((r) => ({
    id: String(r.id),
    ...notificationOf(r),
    deliveries: r.deliveries.map((d) => ({
      receiver: d.receiver,
      deliveredAt: d.delivered_at ? iso(new Date(d.delivered_at)) : null,
      droppedAt: d.dropped_at ? iso(new Date(d.dropped_at)) : null,
    })),
  }));
}

/** The alert journal on the store: both engines, the same SQL. */
export class StoreAlertJournal implements AlertJournal {
  constructor(private readonly db: SqlClient) {}

  async load(environment: string) {
    return {
      state: await loadAlertState(this.db, environment),
      waiting: await listWaitingNotifications(this.db, environment),
    };
  }

  record(environment: string, state: AlertState, notifications: readonly Notification[], receivers: readonly string[]) {
    return recordAlertStep(this.db, environment, state, notifications, receivers);
  }

  delivered(id: string, receiver: string, at: Date): Promise<void> {
    return markAlertDelivered(this.db, id, receiver, at);
  }

  dropped(id: string, receiver: string, at: Date): Promise<void> {
    return markAlertDropped(this.db, id, receiver, at);
  }
}
