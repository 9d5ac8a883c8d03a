import { describe, expect, it } from 'vitest';
import { signBody, verifySignature } from './signature.js';

describe('webhook signatures (X-Hub-Signature-256)', () => {
  const body = Buffer.from('{"ref":"refs/heads/main"}');

  it("matches GitHub's documented example", () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
    expect(signBody("It's a Secret to Everybody", 'Hello, World!')).toBe(
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    );
  });

  it('accepts the body signed with the secret, whatever the case of the hex', () => {
    expect(verifySignature('s3cret', body, signBody('s3cret', body))).toBe(true);
    expect(verifySignature('s3cret', body, signBody('s3cret', body).toUpperCase().replace('SHA256', 'sha256'))).toBe(
      true,
    );
  });

  it('refuses another secret, another body, a missing or malformed header', () => {
    expect(verifySignature('s3cret', body, signBody('other', body))).toBe(false);
    expect(verifySignature('s3cret', Buffer.from(`${body.toString()} `), signBody('s3cret', body))).toBe(false);
    expect(verifySignature('s3cret', body, undefined)).toBe(false);
    expect(verifySignature('s3cret', body, 'sha256=abc')).toBe(false);
    expect(verifySignature('s3cret', body, signBody('s3cret', body).replace('sha256=', 'sha1='))).toBe(false);
  });
});
