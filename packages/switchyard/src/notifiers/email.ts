import { createTransport } from 'nodemailer';
import { mailMessage, type Notification } from '../alerts/index.js';
import { SwitchyardError } from '../errors/index.js';
import { redactUrl } from '../errors/redact.js';

/** How long the SMTP server may take to answer each step of one message. */
const TIMEOUT_MS = 10_000;

export interface MailReceiver {
  readonly name: string;
  readonly to: readonly string[];
  readonly from: string;
}

/**
 * Sends one notification as one e-mail through the SMTP server at `url` (smtp:// with STARTTLS
 * when the server offers it, smtps:// for TLS from the start; credentials in the URL). The URL
 * is a secret: errors show it redacted, and only the server's own complaint besides.
 */
export async function sendMail(url: string, receiver: MailReceiver, n: Notification, baseUrl?: string): Promise<void> {
  if (!/^smtps?:\/\/[^/]/i.test(url))
    throw new SwitchyardError('SWY_NOTIFY_FAILED', {
      message: `Receiver ${receiver.name}: the SMTP server URL must be smtp://… or smtps://… (got ${redactUrl(url)})`,
    });
  const transport = createTransport({
    url,
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: TIMEOUT_MS,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const { subject, text, html } = mailMessage(n, baseUrl);
  try {
    await transport.sendMail({ from: receiver.from, to: [...receiver.to], subject, text, html });
  } catch (err) {
    const e = err as { code?: string; responseCode?: number; response?: string };
    const why = e.response ? `${e.code ?? 'refused'}: ${e.response}` : (e.code ?? 'failed');
    throw new SwitchyardError('SWY_NOTIFY_FAILED', {
      message: `Receiver ${receiver.name} could not send the e-mail through ${redactUrl(url)} (${why})`,
      cause: err,
    });
  } finally {
    transport.close();
  }
}
