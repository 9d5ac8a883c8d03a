import type { FastifyRequest } from 'fastify';
import { SwitchyardError } from '../../errors/index.js';
import type { Principal } from '../auth.js';
import type { ApiContext, ConfigFollowing, ConfigStatus } from '../context.js';
import { configAnswer, webhookAnswer } from '../answers.js';
import { rawBody, route, type Route } from '../route.js';
import { SIGNATURE_HEADER, verifySignature } from '../signature.js';

/** Who a signed webhook delivery is: it may make the server look at its repository, nothing more. */
const WEBHOOK: Principal = { name: 'webhook:config', roles: { '*': 'viewer' } };

/** A delivery is admitted when the server follows a repository, has a secret, and the body is signed with it. */
export function webhookCaller(config: ConfigFollowing | undefined, request: FastifyRequest): Principal {
  const secret = config?.webhookSecret;
  if (!secret) {
    throw new SwitchyardError('SWY_CONFIG_WEBHOOK_DISABLED', {
      message:
        config?.status().source === 'git'
          ? 'This server has no webhook secret (SWITCHYARD_WEBHOOK_SECRET): it takes no configuration webhook'
          : 'This server reads a configuration directory and follows no git repository: it takes no configuration webhook',
    });
  }
  const header = request.headers[SIGNATURE_HEADER];
  if (!verifySignature(secret, rawBody(request), typeof header === 'string' ? header : undefined)) {
    throw new SwitchyardError('SWY_API_UNAUTHENTICATED', {
      message: `The webhook delivery has no valid ${SIGNATURE_HEADER} signature`,
      hint: 'Give the git host the same secret as SWITCHYARD_WEBHOOK_SECRET on the server (content type application/json).',
    });
  }
  return WEBHOOK;
}

function directory(ctx: ApiContext): ConfigStatus {
  return { source: 'directory', location: ctx.fleet.dir, webhook: false };
}

/** The configuration the server follows: what it serves, and the webhook that tells it a branch moved. */
export function configRoutes(ctx: ApiContext): Route[] {
  return [
    route({
      method: 'GET',
      url: '/v1/config',
      summary:
        'Where the configuration comes from: the commit served, the newest seen, and a refused one with its problems',
      tag: 'config',
      action: 'read',
      response: configAnswer,
      handler: async () => ctx.config?.status() ?? directory(ctx),
    }),
    route({
      method: 'POST',
      url: '/v1/hooks/config',
      summary:
        "A git host's push webhook (GitHub-compatible, signed with X-Hub-Signature-256; no bearer token): fetch and judge the newest commit now",
      tag: 'config',
      action: 'read',
      audit: 'config.webhook',
      credential: (request) => webhookCaller(ctx.config, request),
      response: webhookAnswer,
      errors: ['SWY_CONFIG_WEBHOOK_DISABLED', 'SWY_CONFIG_SOURCE_FAILED'],
      handler: async () => {
        const status = await (ctx.config as ConfigFollowing).check('webhook');
        return {
          servedCommit: status.servedCommit ?? null,
          lastSeenCommit: status.lastSeenCommit ?? null,
          refused: status.refused ? { commit: status.refused.commit, code: status.refused.code } : null,
          waiting: status.waiting ?? null,
        };
      },
    }),
  ];
}
