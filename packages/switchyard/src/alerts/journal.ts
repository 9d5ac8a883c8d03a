import type { AlertState, Notification } from './types.js';

/** A notification a receiver has still to take, as the journal keeps it. */
export interface WaitingNotification {
  /** The notification's id in the alert history. */
  readonly id: string;
  readonly receiver: string;
  readonly notification: Notification;
}

/**
 * Where the alerts of an environment keep what they must not forget when the process stops or
 * another replica takes the lead (a port: the store implements it). A step's state and its
 * notifications are kept together: either both or neither.
 */
export interface AlertJournal {
  /** What was notified per group, and what each receiver has still to take, oldest first. */
  load(environment: string): Promise<{ readonly state: AlertState; readonly waiting: readonly WaitingNotification[] }>;
  /**
   * Keeps the environment's state after a step and the notifications it decided, each waiting
   * for every receiver named; answers the notifications' ids, in order.
   */
  record(
    environment: string,
    state: AlertState,
    notifications: readonly Notification[],
    receivers: readonly string[],
  ): Promise<readonly string[]>;
  /** The receiver took the notification. */
  delivered(id: string, receiver: string, at: Date): Promise<void>;
  /** The receiver's outbox let the notification go (it was full). */
  dropped(id: string, receiver: string, at: Date): Promise<void>;
}
