import { describe, expect, it } from 'vitest';
import type { Notification } from '../alerts/index.js';
import { receiverNotifier } from './index.js';

const n: Notification = {
  status: 'firing',
  environment: 'production',
  service: 'api',
  at: '2026-03-02T10:00:30.000Z',
  findings: [],
};
const receiver = {
  name: 'oncall',
  type: 'email',
  urlFrom: 'SMTP_URL',
  to: ['oncall@example.com'],
  from: 'alerts@example.com',
} as const;

const failure = async (url: string | undefined) => {
  const notifier = receiverNotifier(receiver, { env: url === undefined ? {} : { SMTP_URL: url } });
  return notifier.send(n).then(
    () => {
      throw new Error('sent');
    },
    (err: { code: string; message: string }) => err,
  );
};

describe('the e-mail receiver', () => {
  it('says which variable is not set', async () => {
    expect(await failure(undefined)).toMatchObject({
      code: 'SWY_NOTIFY_FAILED',
      message: "Receiver oncall: the server's environment variable SMTP_URL is not set",
    });
  });

  it('refuses a URL that is not smtp:// or smtps://, without showing its password', async () => {
    const err = await failure('https://mailer:s3cret@mail.example.com');
    expect(err.code).toBe('SWY_NOTIFY_FAILED');
    expect(err.message).toBe(
      'Receiver oncall: the SMTP server URL must be smtp://… or smtps://… (got https://mailer:***@mail.example.com/)',
    );
  });

  it('names the server, its password hidden, when it cannot be reached', async () => {
    const err = await failure('smtp://mailer:s3cret@127.0.0.1:1');
    expect(err.code).toBe('SWY_NOTIFY_FAILED');
    expect(err.message).toMatch(
      /^Receiver oncall could not send the e-mail through smtp:\/\/mailer:\*\*\*@127\.0\.0\.1:1 \(/,
    );
    expect(err.message).not.toContain('s3cret');
  });
});
