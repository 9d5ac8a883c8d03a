import { z } from 'zod';
import { SwitchyardError } from '../../errors/index.js';
import { reportFor } from '../../health/index.js';
import { healthAnswer } from '../answers.js';
import type { ApiContext } from '../context.js';
import { environmentHealth } from '../health.js';
import { serviceName } from '../input.js';
import { route, type Route } from '../route.js';

const service = z.object({ service: serviceName });

/** Health at a glance: findings of the whole environment, or of one service or worker. */
export function healthRoutes(ctx: ApiContext): Route[] {
  return [
    route({
      method: 'GET',
      url: '/v1/health',
      summary: 'Health of the environment: the worst severity, counts, and every finding with what to do',
      tag: 'fleet',
      action: 'read',
      response: healthAnswer,
      errors: ['SWY_KUBE_UNREACHABLE'],
      handler: () => environmentHealth(ctx),
    }),
    route({
      method: 'GET',
      url: '/v1/health/:service',
      summary: 'Health of one service or worker: its findings with what to do',
      tag: 'fleet',
      action: 'read',
      params: service,
      response: healthAnswer,
      errors: ['SWY_SPEC_SERVICE_NOT_FOUND', 'SWY_KUBE_UNREACHABLE'],
      handler: async ({ params }) => {
        const units = ctx.runtime.fleet.units.map((u) => u.name);
        if (!units.includes(params.service))
          throw new SwitchyardError('SWY_SPEC_SERVICE_NOT_FOUND', {
            message: `${ctx.runtime.fleet.environment.name} has no service or worker ${params.service}`,
            hint: `Use one of: ${units.join(', ')}.`,
            details: { service: params.service },
          });
        return reportFor(await environmentHealth(ctx), params.service);
      },
    }),
  ];
}
