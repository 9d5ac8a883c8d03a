import { z } from 'zod';
import { findingRunbook, readRunbook } from '../../runbooks/index.js';
import { RUNBOOK_NAME, runbookAlerts } from '../../spec/index.js';
import { runbookAnswer } from '../answers.js';
import type { ApiContext } from '../context.js';
import { route, type Route } from '../route.js';

const name = z.string().regex(RUNBOOK_NAME, { error: 'must be a check id or an alert rule name' });
const params = z.object({ alert: name.meta({ description: 'A health check id or an alert rule of the environment' }) });
const query = z.object({
  rule: name.optional().meta({
    description:
      "The rule that fired the finding: its own runbook is served when the repository has one, else the check's",
  }),
});

/** Runbooks as the environment's served configuration has them, the shipped defaults where it has none. */
export function runbookRoutes(ctx: ApiContext): Route[] {
  return [
    route({
      method: 'GET',
      url: '/v1/runbooks/:alert',
      summary: "An alert's runbook (markdown): the configuration repository's runbooks/<alert>.md, else the default",
      tag: 'alerts',
      action: 'read',
      params,
      query,
      response: runbookAnswer,
      errors: ['SWY_RUNBOOK_NOT_FOUND'],
      handler: async ({ params: p, query: q }) => {
        const fleet = ctx.runtime.fleet;
        const options = { configDir: fleet.dir, alerts: runbookAlerts([fleet]) };
        const runbook = q.rule ? await findingRunbook(p.alert, q.rule, options) : await readRunbook(p.alert, options);
        return {
          alert: runbook.alert,
          environment: fleet.environment.name,
          source: runbook.source,
          file: runbook.source === 'config' ? runbook.file : null,
          commit: ctx.config?.status().servedCommit ?? null,
          markdown: runbook.markdown,
        };
      },
    }),
  ];
}
