import { z } from 'zod';
import { timelineWindow, pageOf } from '../../timeline/index.js';
import { postmortemAnswer, timelineAnswer } from '../answers.js';
import type { ApiContext } from '../context.js';
import { collectTimeline, postmortemOf } from '../timeline.js';
import { serviceName } from '../input.js';
import { route, type Route } from '../route.js';

const when = z
  .string()
  .regex(/^[0-9A-Za-z:.+-]{1,40}$/, { error: 'must be a duration back from now (30m, 2h, 7d) or an RFC 3339 time' });

const windowQuery = {
  since: when.optional().meta({ description: 'A duration back from now (2h, 7d) or an RFC 3339 time; default 24h' }),
  until: when.optional().meta({ description: 'A duration back from now or an RFC 3339 time; default now' }),
  service: serviceName
    .optional()
    .meta({ description: 'One service or worker (and what concerns the whole environment)' }),
};

const timelineQuery = z.object({
  ...windowQuery,
  limit: z.coerce.number().int().min(1).max(1000).optional().meta({ description: 'Entries per page (default 200)' }),
  after: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,400}$/, { error: 'must be the next cursor a page answered' })
    .optional()
    .meta({ description: 'The next cursor the previous page answered' }),
});

/** The incident timeline and the post-mortem's material: what the store recorded of a window, in one order. */
export function timelineRoutes(ctx: ApiContext): Route[] {
  return [
    route({
      method: 'GET',
      url: '/v1/timeline',
      summary:
        'One ordered view of a window: releases and their stage verdicts, alerts, silences, audited changes, scaling and failures',
      tag: 'incidents',
      action: 'read',
      query: timelineQuery,
      response: timelineAnswer,
      errors: ['SWY_TIMELINE_QUERY_INVALID'],
      handler: async ({ query }) => {
        const window = timelineWindow(query.since, query.until, new Date());
        const collected = await collectTimeline(ctx, window, query.service);
        const page = pageOf([collected.entries], {
          limit: query.limit ?? 200,
          ...(query.after ? { after: query.after } : {}),
        });
        return {
          environment: ctx.fleet.environment.name,
          since: window.since.toISOString(),
          until: window.until.toISOString(),
          ...page,
          truncated: collected.truncated,
        };
      },
    }),
    route({
      method: 'GET',
      url: '/v1/postmortem',
      summary:
        "What a post-mortem of a window is written from: its timeline, the routers' counters per service, and the releases and commits in it",
      tag: 'incidents',
      action: 'read',
      query: z.object(windowQuery),
      response: postmortemAnswer,
      errors: ['SWY_TIMELINE_QUERY_INVALID'],
      handler: ({ query }) => postmortemOf(ctx, timelineWindow(query.since, query.until, new Date()), query.service),
    }),
  ];
}
