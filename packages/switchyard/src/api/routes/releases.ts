import { z } from 'zod';
import { ACTIVE_STATUSES, type Action, type ReleaseState, type ReleaseStatus } from '../../release/index.js';
import { listAudit, releaseNotFound } from '../../store/index.js';
import { authorize, type ApiAction } from '../auth.js';
import type { ApiContext } from '../context.js';
import { guardFreeze } from '../freeze.js';
import { freeText, overrideFreeze, planName, reason, releaseId, serviceName, versionTag } from '../input.js';
import { releaseAnswer, releaseDetailAnswer, releaseListAnswer, historyAnswer, auditAnswer } from '../answers.js';
import { route, type Route } from '../route.js';
import { stateView } from './views.js';

const STATUSES: readonly ReleaseStatus[] = [...ACTIVE_STATUSES, 'succeeded', 'rolled-back', 'aborted', 'failed'];

const deployBody = z.strictObject({
  service: serviceName,
  version: versionTag,
  plan: planName.optional(),
  reason: reason.optional(),
  overrideFreeze,
});
const actionBody = z.strictObject({ reason: reason.optional(), overrideFreeze });
const rollbackBody = z.strictObject({
  to: versionTag
    .optional()
    .meta({ description: 'A version released in this environment; defaults to the one the last release replaced' }),
  reason: reason.optional(),
});
const idParams = z.object({ id: releaseId });
const serviceParams = z.object({ service: serviceName });
const statusList = z
  .string()
  .max(200)
  .refine((s) => s.split(',').every((x) => (STATUSES as readonly string[]).includes(x)), {
    error: `must be a comma-separated list of ${STATUSES.join(', ')}`,
  });
const listQuery = z.object({
  service: serviceName.optional(),
  status: statusList.optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});
const historyQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).optional() });
const auditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  actor: freeText(200).optional(),
  action: freeText(100).optional(),
});

/** What each person's action on a release needs; approve and promote widen exposure, so a freeze holds them. */
const ACTIONS: Readonly<
  Record<Action, { readonly api: ApiAction; readonly summary: string; readonly advances: boolean }>
> = {
  approve: {
    api: 'approve',
    summary: 'Approve the stage that waits for a person, or ahead of time the next stage that will',
    advances: true,
  },
  promote: { api: 'promote', summary: 'Go to the next stage now', advances: true },
  pause: { api: 'pause', summary: 'Stop measuring and advancing', advances: false },
  resume: { api: 'resume', summary: 'Carry on after a pause', advances: false },
  abort: { api: 'abort', summary: 'Stop the release and return to what ran before', advances: false },
  rollback: {
    api: 'revert',
    summary: 'Roll the release back: traffic to stable at once, then the replicas',
    advances: false,
  },
};

/** Releases, deploys and the audit log: what this server's environment did, and who did it. */
export function releaseRoutes(ctx: ApiContext): Route[] {
  const env = ctx.fleet.environment;

  /** A release of this environment; any other id, known elsewhere or not, is not found here. */
  async function releaseHere(id: string): Promise<ReleaseState> {
    const release = await ctx.releases.get(id);
    if (!release || release.environment !== env.name) throw releaseNotFound(id);
    return release;
  }

  const actionRoute = (action: Action): Route => {
    const { api, summary, advances } = ACTIONS[action];
    return route({
      method: 'POST',
      url: `/v1/releases/:id/${action}`,
      summary,
      tag: 'releases',
      action: api,
      audit: `release.${action}`,
      params: idParams,
      body: actionBody,
      response: releaseAnswer,
      errors: [
        'SWY_RELEASE_NOT_FOUND',
        'SWY_RELEASE_ACTION_REFUSED',
        ...(advances ? (['SWY_RELEASE_FROZEN'] as const) : []),
      ],
      handler: async ({ params, body, principal }) => {
        const release = await releaseHere(params.id);
        if (advances) guardFreeze(env, principal, `Advancing ${release.service}'s release in ${env.name} is`, body);
        return stateView(await ctx.orchestrator.act(params.id, action, principal.name, body.reason ?? ''));
      },
    });
  };

  return [
    route({
      method: 'POST',
      url: '/v1/releases',
      summary: 'Deploy a version of a service: start a staged release',
      tag: 'releases',
      action: 'deploy',
      audit: 'release.deploy',
      body: deployBody,
      status: 201,
      response: releaseAnswer,
      errors: [
        'SWY_RELEASE_FROZEN',
        'SWY_RELEASE_CONFLICT',
        'SWY_SPEC_SERVICE_NOT_FOUND',
        'SWY_RELEASE_PLAN_NOT_FOUND',
        'SWY_RELEASE_PLAN_RESERVED',
        'SWY_RELEASE_VERSION_UNKNOWN',
        'SWY_RELEASE_NOTHING_TO_DO',
      ],
      handler: async ({ body, principal }) => {
        guardFreeze(env, principal, `Deploys to ${env.name} are`, body);
        return stateView(
          await ctx.orchestrator.deploy({
            service: body.service,
            version: body.version,
            by: principal.name,
            ...(body.plan ? { plan: body.plan } : {}),
            ...(body.reason ? { reason: body.reason } : {}),
          }),
        );
      },
    }),
    route({
      method: 'GET',
      url: '/v1/releases',
      summary: 'Releases, newest first',
      tag: 'releases',
      action: 'read',
      query: listQuery,
      response: releaseListAnswer,
      handler: async ({ query }) => ({
        releases: (
          await ctx.releases.list({
            environment: env.name,
            ...(query.service ? { service: query.service } : {}),
            ...(query.status ? { statuses: query.status.split(',') as ReleaseStatus[] } : {}),
            limit: query.limit ?? 50,
          })
        ).map(stateView),
      }),
    }),
    route({
      method: 'GET',
      url: '/v1/releases/:id',
      summary: 'One release: stage, verdicts, what may be done',
      tag: 'releases',
      action: 'read',
      params: idParams,
      response: releaseDetailAnswer,
      errors: ['SWY_RELEASE_NOT_FOUND'],
      handler: async ({ params }) => {
        const state = await releaseHere(params.id);
        // Each event's own state stays out: the release's verdicts and stage are here already.
        const events = (await ctx.releases.events(params.id)).map(({ seq, releaseId, at, type, payload }) => ({
          seq,
          releaseId,
          at,
          type,
          payload,
        }));
        return { ...stateView(state), verdicts: state.verdicts, events };
      },
    }),
    ...(['approve', 'promote', 'pause', 'resume', 'abort', 'rollback'] as const).map(actionRoute),
    route({
      method: 'POST',
      url: '/v1/services/:service/rollback',
      summary: 'Roll a service back: its release in progress, or to a version released here',
      tag: 'releases',
      action: 'revert',
      audit: 'service.rollback',
      params: serviceParams,
      body: rollbackBody,
      status: 202,
      response: releaseAnswer,
      errors: [
        'SWY_SPEC_SERVICE_NOT_FOUND',
        'SWY_RELEASE_ACTION_REFUSED',
        'SWY_RELEASE_CONFLICT',
        'SWY_RELEASE_NEVER_RELEASED',
        'SWY_RELEASE_NOTHING_TO_DO',
      ],
      handler: async ({ params, body, principal }) => {
        const active = await ctx.releases.activeFor(params.service, env.name);
        if (active)
          return stateView(
            await ctx.orchestrator.act(active.id, 'rollback', principal.name, body.reason ?? 'rollback requested'),
          );
        // Going back to an earlier version changes what every user gets: it needs what a deploy needs, but no freeze stops it.
        authorize(principal, 'rollback', env.name, env.protected);
        return stateView(
          await ctx.orchestrator.rollbackTo({
            service: params.service,
            by: principal.name,
            ...(body.to ? { version: body.to } : {}),
            ...(body.reason ? { reason: body.reason } : {}),
          }),
        );
      },
    }),
    route({
      method: 'GET',
      url: '/v1/services/:service/history',
      summary: 'Desired-state commits of a service in the config repository',
      tag: 'releases',
      action: 'read',
      params: serviceParams,
      query: historyQuery,
      response: historyAnswer,
      errors: ['SWY_SPEC_SERVICE_NOT_FOUND', 'SWY_REPO_GIT_FAILED'],
      handler: async ({ params, query }) => {
        ctx.runtime.service(params.service);
        return {
          service: params.service,
          commits: await ctx.configRepo.history({
            environment: env.name,
            service: params.service,
            limit: query.limit ?? 50,
          }),
        };
      },
    }),
    route({
      method: 'GET',
      url: '/v1/audit',
      summary: 'The append-only audit log, newest first',
      tag: 'audit',
      action: 'read',
      query: auditQuery,
      response: auditAnswer,
      handler: async ({ query }) => ({
        entries: await listAudit(ctx.store, {
          limit: query.limit ?? 100,
          ...(query.actor ? { actor: query.actor } : {}),
          ...(query.action ? { action: query.action } : {}),
        }),
      }),
    }),
  ];
}
