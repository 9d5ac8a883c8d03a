import { z } from 'zod';
import { SwitchyardError } from '../../errors/index.js';
import {
  createToken,
  findToken,
  GRANT_ENVIRONMENT,
  listTokens,
  MAX_DESCRIPTION,
  MAX_GRANTS,
  revokeToken,
  ROLES,
  TOKEN_NAME,
  type ApiToken,
} from '../../store/index.js';
import type { ApiContext } from '../context.js';
import { freeText } from '../input.js';
import { createdTokenAnswer, tokenAnswer, tokenListAnswer } from '../answers.js';
import { route, type Route } from '../route.js';
import { authorizeGrants, grantRefusals, mayView, parseExpiry } from '../token-rules.js';

// Every field is bounded and free of control characters here, before anything is recorded.
const createBody = z.strictObject({
  name: z
    .string()
    .regex(TOKEN_NAME, {
      error: 'must be 1 to 100 letters, digits, dots, dashes, underscores or @, starting with a letter or digit',
    })
    .meta({ description: 'Unique among active tokens; the actor of every audit entry the token makes' }),
  roles: z
    .record(
      z.string().regex(GRANT_ENVIRONMENT, { error: 'must be an environment name or *' }),
      z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }),
    )
    .refine((roles) => Object.keys(roles).length > 0 && Object.keys(roles).length <= MAX_GRANTS, {
      error: `give 1 to ${MAX_GRANTS} roles`,
    })
    .meta({ description: 'Environment name, or * for every environment → viewer, deployer, approver or admin' }),
  expires: z
    .string()
    .regex(/^[0-9A-Za-z:.+-]{1,40}$/, {
      error: 'must be a duration (12h, 30d, 2w), a date (2027-01-31) or a time (2027-01-31T18:00:00Z)',
    })
    .optional()
    .meta({
      description:
        'When the token stops working: 12h, 30d, 2w, a date (00:00 UTC that day) or an RFC 3339 time; never by default',
    }),
  description: freeText(MAX_DESCRIPTION).optional(),
});
const tokenParams = z.object({ id: z.string().regex(TOKEN_NAME, { error: 'must be a token id or name' }) });

/** A token as the API shows it: never its secret, nor its hash. */
export function tokenView(token: ApiToken, now = new Date()) {
  const status = token.revokedAt ? 'revoked' : token.expiresAt && token.expiresAt <= now ? 'expired' : 'active';
  const { id, name, roles, description, createdAt, createdBy, expiresAt, lastUsedAt, revokedAt, revokedBy } = token;
  return { id, name, roles, description, status, createdAt, createdBy, expiresAt, lastUsedAt, revokedAt, revokedBy };
}

/** An Idempotency-Key replay of a creation: the token again, its secret no more (it is never stored). */
function withoutSecret(answer: unknown): unknown {
  return {
    ...(answer as Record<string, unknown>),
    secret: null,
    note: 'The secret is shown only in the first answer; if it was lost, revoke this token and create another.',
  };
}

const describeGrants = (roles: Readonly<Record<string, string>>) =>
  Object.entries(roles)
    .map(([env, role]) => `${env}=${role}`)
    .join(', ');

/** API tokens: create (the secret shown once), list, revoke; admins only, each within the environments it administers. */
export function tokenRoutes(ctx: ApiContext): Route[] {
  const { store } = ctx;
  return [
    route({
      method: 'POST',
      url: '/v1/tokens',
      summary: 'Create an API token with a role per environment; its secret is in this answer only',
      tag: 'tokens',
      action: 'manage-tokens',
      audit: 'token.create',
      body: createBody,
      status: 201,
      response: createdTokenAnswer,
      errors: ['SWY_STORE_TOKEN_INVALID', 'SWY_STORE_TOKEN_NAME_TAKEN'],
      replayAnswer: withoutSecret,
      handler: async ({ body, principal }) => {
        authorizeGrants(principal, body.roles, `create a token with ${describeGrants(body.roles)}`);
        const { token, secret } = await createToken(store, {
          name: body.name,
          roles: body.roles,
          createdBy: principal.name,
          ...(body.description !== undefined ? { description: body.description } : {}),
          ...(body.expires !== undefined ? { expiresAt: parseExpiry(body.expires, new Date()) } : {}),
        });
        return { token: tokenView(token), secret };
      },
    }),
    route({
      method: 'GET',
      url: '/v1/tokens',
      summary: 'The API tokens that reach an environment the caller administers, revoked ones included; never a secret',
      tag: 'tokens',
      action: 'manage-tokens',
      response: tokenListAnswer,
      handler: async ({ principal }) => {
        const now = new Date();
        return {
          tokens: (await listTokens(store)).filter((t) => mayView(principal, t.roles)).map((t) => tokenView(t, now)),
        };
      },
    }),
    route({
      method: 'DELETE',
      url: '/v1/tokens/:id',
      summary: 'Revoke an API token (by id, or the name of an active token) from now on',
      tag: 'tokens',
      action: 'manage-tokens',
      audit: 'token.revoke',
      params: tokenParams,
      response: tokenAnswer,
      errors: ['SWY_STORE_TOKEN_NOT_FOUND'],
      handler: async ({ params, principal }) => {
        const token = await findToken(store, params.id);
        // Only an admin of * learns that a token does not exist; anyone else hears the same refusal for
        // a token beyond the environments they administer and for one that does not exist.
        if (!token || grantRefusals(principal, token.roles).length > 0) {
          if (!token && principal.roles['*'] === 'admin')
            throw new SwitchyardError('SWY_STORE_TOKEN_NOT_FOUND', {
              message: `No API token has the id or active name ${params.id}`,
              details: { token: params.id },
            });
          throw new SwitchyardError('SWY_API_FORBIDDEN', {
            message: `${principal.name} may not revoke the token ${params.id}: it does not exist, or it reaches environments ${principal.name} does not administer`,
            hint: 'Tokens are managed by the admins of the environments they reach: ask one, or an admin of *.',
            details: { principal: principal.name, action: 'manage-tokens' },
          });
        }
        return tokenView(await revokeToken(store, token.id, principal.name));
      },
    }),
  ];
}
