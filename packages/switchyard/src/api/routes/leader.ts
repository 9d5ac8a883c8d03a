import { ALONE, type ApiLeadership } from '../hand-off.js';
import { leaderAnswer } from '../answers.js';
import { route, type Route } from '../route.js';

/** Which replica leads the replicas sharing this server's store. */
export function leaderRoutes(leadership: ApiLeadership = { view: () => Promise.resolve(ALONE) }): Route[] {
  return [
    route({
      method: 'GET',
      url: '/v1/leader',
      summary: 'Which replica leads (runs the release engines and takes writes) and what this one is',
      tag: 'fleet',
      action: 'read',
      response: leaderAnswer,
      handler: () => leadership.view(),
    }),
  ];
}
