import { parseDuration } from '@switchyard/worker/units';
import { z } from 'zod';
import { SwitchyardError } from '../../errors/index.js';
import { CHECKS } from '../../health/index.js';
import { createSilence, expireSilence, listSilences, type SilenceRecord } from '../../store/index.js';
import { silenceAnswer, silenceListAnswer } from '../answers.js';
import type { ApiContext } from '../context.js';
import { reason, serviceName } from '../input.js';
import { route, type Route } from '../route.js';

/** A silence longer than this is a rule that should be changed in the environment file instead. */
const MAX_SILENCE_MS = 90 * 24 * 3600_000;
const MAX_MATCHERS = 50;

const createBody = z.strictObject({
  services: z
    .array(serviceName)
    .min(1)
    .max(MAX_MATCHERS)
    .optional()
    .meta({ description: 'Services and workers whose findings it mutes; all when absent' }),
  checks: z
    .array(z.enum(CHECKS))
    .min(1)
    .max(MAX_MATCHERS)
    .optional()
    .meta({ description: 'Checks whose findings it mutes; all when absent' }),
  reason: reason.refine((r) => r.trim().length > 0, { error: 'must say why' }),
  expires: z
    .string()
    .regex(/^[0-9A-Za-z:.+-]{1,40}$/, { error: 'must be a duration (30m, 4h) or an RFC 3339 time' })
    .meta({ description: 'When it stops muting: a duration from now (30m, 4h, 48h) or an RFC 3339 time' }),
});
const query = z.object({
  all: z.enum(['true', 'false']).optional().meta({ description: 'true: ended ones too' }),
});
const silenceParams = z.object({
  id: z.string().regex(/^[0-9a-f-]{36}$/, { error: 'must be a silence id (a UUID)' }),
});

function invalid(message: string): SwitchyardError {
  return new SwitchyardError('SWY_ALERTS_SILENCE_INVALID', { message });
}

/** A duration from now (Go style: 30m, 4h, 1h30m) or an RFC 3339 time, in the future and within 90 days. */
export function silenceExpiry(text: string, now: Date): Date {
  const ms = parseDuration(text);
  const at = ms !== undefined ? new Date(now.getTime() + ms) : new Date(text);
  if (Number.isNaN(at.getTime()) || (ms === undefined && !/^\d{4}-\d{2}-\d{2}T/.test(text)))
    throw invalid(`expires "${text}" is neither a duration (30m, 4h) nor an RFC 3339 time`);
  if (at.getTime() <= now.getTime()) throw invalid(`expires "${text}" is not in the future`);
  if (at.getTime() - now.getTime() > MAX_SILENCE_MS)
    throw invalid(`expires "${text}" is more than 90 days away: change the alert rules instead`);
  return at;
}

export function silenceView(s: SilenceRecord, now = new Date()) {
  const ended = Math.min(Date.parse(s.expiresAt), s.expiredAt ? Date.parse(s.expiredAt) : Infinity);
  return { ...s, status: ended <= now.getTime() ? ('expired' as const) : ('active' as const) };
}

/** Silences of the environment's alerts: create (author from the token), list, expire. */
export function silenceRoutes(ctx: ApiContext): Route[] {
  const environment = () => ctx.fleet.environment.name;
  return [
    route({
      method: 'POST',
      url: '/v1/silences',
      summary: "Mute the environment's alerts of some services or checks until an expiry, with a reason",
      tag: 'alerts',
      action: 'silence',
      audit: 'silence.create',
      body: createBody,
      status: 201,
      response: silenceAnswer,
      errors: ['SWY_ALERTS_SILENCE_INVALID'],
      handler: async ({ body, principal }) => {
        if (!body.services && !body.checks)
          throw invalid('name at least one service or check: a silence of everything hides every alert');
        const silence = await createSilence(ctx.store, {
          environment: environment(),
          ...(body.services ? { services: body.services } : {}),
          ...(body.checks ? { checks: body.checks } : {}),
          author: principal.name,
          reason: body.reason,
          expiresAt: silenceExpiry(body.expires, new Date()),
        });
        return silenceView(silence);
      },
    }),
    route({
      method: 'GET',
      url: '/v1/silences',
      summary: "The environment's silences, newest first: those muting now, or all with all=true",
      tag: 'alerts',
      action: 'read',
      query,
      response: silenceListAnswer,
      handler: async ({ query: q }) => {
        const now = new Date();
        const silences = await listSilences(ctx.store, environment(), { all: q.all === 'true' });
        return { silences: silences.map((s) => silenceView(s, now)) };
      },
    }),
    route({
      method: 'DELETE',
      url: '/v1/silences/:id',
      summary: 'End a silence now: its alerts notify again',
      tag: 'alerts',
      action: 'silence',
      audit: 'silence.expire',
      params: silenceParams,
      response: silenceAnswer,
      errors: ['SWY_ALERTS_SILENCE_NOT_FOUND'],
      handler: async ({ params, principal }) => {
        const silence = await expireSilence(ctx.store, environment(), params.id, principal.name);
        if (!silence)
          throw new SwitchyardError('SWY_ALERTS_SILENCE_NOT_FOUND', {
            message: `${environment()} has no silence ${params.id}`,
            details: { id: params.id },
          });
        return silenceView(silence);
      },
    }),
  ];
}
