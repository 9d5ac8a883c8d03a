import type { Notification } from './types.js';

/**
 * One receiver of alert notifications (Slack, a generic webhook; e-mail and Alertmanager plug
 * in here): sends one notification or throws, and never retries itself (the outbox does).
 */
export interface AlertNotifier {
  /** The receiver's name in the environment file. */
  readonly receiver: string;
  send(notification: Notification): Promise<void>;
}

export type { FailingReceiver } from '../health/index.js';
