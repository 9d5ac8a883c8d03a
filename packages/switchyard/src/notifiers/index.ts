import { DEFAULT_REPEAT_MS, slackBody, webhookBody, type AlertNotifier, type Notification } from '../alerts/index.js';
import { SwitchyardError } from '../errors/index.js';
import type { Receiver } from '../spec/index.js';
import { postAlerts } from './alertmanager.js';
import { sendMail } from './email.js';
import { postJson } from './http.js';

/**
 * The notifier of one receiver of the environment file: Slack's incoming webhook format, the
 * generic webhook's JSON, an e-mail, or Alertmanager's alerts, sent to the URL the named
 * environment variable holds (read at each send, so setting it later needs no restart; never
 * logged). `repeatMs` is how often a group still firing is told again: Alertmanager alerts stay
 * valid a while longer than that, so they end by themselves only when the server stops telling.
 */
export function receiverNotifier(
  receiver: Receiver,
  options: { readonly url?: string; readonly repeatMs?: number; readonly env?: NodeJS.ProcessEnv } = {},
): AlertNotifier {
  const env = options.env ?? process.env;
  const validForMs = Math.round((options.repeatMs ?? DEFAULT_REPEAT_MS) * 1.5);
  const send = async (url: string, n: Notification) => {
    switch (receiver.type) {
      case 'email':
        return sendMail(url, receiver, n, options.url);
      case 'alertmanager':
        return postAlerts(url, receiver.name, n, validForMs, options.url);
      case 'slack':
        return postJson(url, slackBody(n, options.url), receiver.name);
      case 'webhook':
        return postJson(url, webhookBody(n, options.url), receiver.name);
    }
  };
  return {
    receiver: receiver.name,
    async send(n: Notification) {
      const url = env[receiver.urlFrom];
      if (!url)
        throw new SwitchyardError('SWY_NOTIFY_FAILED', {
          message: `Receiver ${receiver.name}: the server's environment variable ${receiver.urlFrom} is not set`,
        });
      await send(url, n);
    },
  };
}
export { WebhookNotifier } from './http.js';
