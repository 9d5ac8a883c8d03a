import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { ConfigFollowing } from '../context.js';
import { signBody } from '../signature.js';
import { webhookCaller } from './config.js';

/** A request as the gate sees it: headers, and no body kept (an empty raw body). */
const request = (signature?: string) =>
  ({ headers: signature ? { 'x-hub-signature-256': signature } : {} }) as unknown as FastifyRequest;

const following = (secret: string | undefined): ConfigFollowing => ({
  webhookSecret: secret,
  status: () => ({ source: 'git', location: 'file:///config.git', webhook: secret !== undefined }),
  check: () => Promise.reject(new Error('not called here')),
});

describe('who may call the configuration webhook', () => {
  it('nobody when the server reads a directory or has no secret', () => {
    expect(() => webhookCaller(undefined, request(signBody('x', '')))).toThrow(
      expect.objectContaining({ code: 'SWY_CONFIG_WEBHOOK_DISABLED', status: 404 }),
    );
    expect(() => webhookCaller(following(undefined), request(signBody('x', '')))).toThrow(
      expect.objectContaining({
        code: 'SWY_CONFIG_WEBHOOK_DISABLED',
        message: expect.stringContaining('SWITCHYARD_WEBHOOK_SECRET'),
      }),
    );
  });

  it('a delivery signed with the secret, as a viewer of every environment; anything else is unauthenticated', () => {
    expect(webhookCaller(following('s3cret'), request(signBody('s3cret', '')))).toEqual({
      name: 'webhook:config',
      roles: { '*': 'viewer' },
    });
    for (const bad of [undefined, signBody('other', ''), 'sha256=00'])
      expect(() => webhookCaller(following('s3cret'), request(bad))).toThrow(
        expect.objectContaining({ code: 'SWY_API_UNAUTHENTICATED', status: 401 }),
      );
  });
});
