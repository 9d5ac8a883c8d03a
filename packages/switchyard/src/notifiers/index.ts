import { slackBody, webhookBody, type AlertNotifier, type Notification } from '../alerts/index.js';
import { SwitchyardError } from '../errors/index.js';
import type { Receiver } from '../spec/index.js';
import { postJson } from './http.js';

/**
 * The notifier of one receiver of the environment file: Slack's incoming webhook format or
 * the generic webhook's JSON, posted to the URL the named environment variable holds (read at
 * each send, so setting it later needs no restart; never logged).
 */
export function receiverNotifier(
  receiver: Receiver,
  options: { readonly url?: string; readonly env?: NodeJS.ProcessEnv } = {},
): AlertNotifier {
  const env = options.env ?? process.env;
  const render = receiver.type === 'slack' ? slackBody : webhookBody;
  return {
    receiver: receiver.name,
    async send(n: Notification) {
      const url = env[receiver.urlFrom];
      if (!url)
        throw new SwitchyardError('SWY_NOTIFY_FAILED', {
          message: `Receiver ${receiver.name}: the server's environment variable ${receiver.urlFrom} is not set`,
        });
      await postJson(url, render(n, options.url), receiver.name);
    },
  };
}
export { WebhookNotifier } from './http.js';
