import { SwitchyardError } from '../errors/index.js';
import type { Notifier } from '../release/index.js';

/** How long a receiver may take to answer one notification. */
const TIMEOUT_MS = 10_000;

/** Posts a JSON body; anything but a 2xx answer, a timeout or a refused connection throws. */
export async function postJson(url: string, body: unknown, receiver: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new SwitchyardError('SWY_NOTIFY_FAILED', {
      message: `Receiver ${receiver} could not be reached (${cause})`,
      cause: err,
    });
  }
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok)
    throw new SwitchyardError('SWY_NOTIFY_FAILED', {
      message: `Receiver ${receiver} answered ${response.status}`,
    });
}

/**
 * Release events to a Slack-compatible incoming webhook (`{"text": …}`, SWITCHYARD_WEBHOOK_URL),
 * posted as every receiver's notification is.
 */
export class WebhookNotifier implements Notifier {
  constructor(private readonly url: string) {}
  async notify(level: 'info' | 'warning' | 'error', message: string): Promise<void> {
    const icon = level === 'error' ? ':red_circle:' : level === 'warning' ? ':warning:' : ':large_blue_circle:';
    await postJson(this.url, { text: `${icon} ${message}` }, 'the notification webhook');
  }
}
