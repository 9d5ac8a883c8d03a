import type { Notifier } from '../ports.js';
import type { ReleaseState } from '../types.js';
import { SwitchyardError } from '../../errors/index.js';

/** Notifications as lines for the server's own output (what `switchyard up` shows). */
export class LogNotifier implements Notifier {
  constructor(private readonly write: (line: string) => void) {}
  async notify(level: 'info' | 'warning' | 'error', message: string): Promise<void> {
    this.write(`${level === 'error' ? '✖' : level === 'warning' ? '⚠' : 'ℹ'} ${message}`);
  }
}

/** Posts to a Slack-compatible incoming webhook ({"text": …}). */
export class WebhookNotifier implements Notifier {
  constructor(private readonly url: string) {}
  async notify(level: 'info' | 'warning' | 'error', message: string): Promise<void> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        text: `${level === 'error' ? ':red_circle:' : level === 'warning' ? ':warning:' : ':large_blue_circle:'} ${message}`,
      }),
    });
    if (!response.ok)
      throw new SwitchyardError('SWY_NOTIFY_FAILED', {
        message: `The notification webhook answered ${response.status}`,
      });
  }
}

/** Sends every notification to each notifier; one failing does not stop the others. */
export class Notifiers implements Notifier {
  constructor(private readonly all: readonly Notifier[]) {}
  async notify(level: 'info' | 'warning' | 'error', message: string, release: ReleaseState): Promise<void> {
    const results = await Promise.allSettled(this.all.map((n) => n.notify(level, message, release)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
