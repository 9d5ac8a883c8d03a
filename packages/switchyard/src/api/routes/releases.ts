import { z } from 'zod';
import { SwitchyardError } from '../../errors/index.js';
import { activeFreeze, allowedActions, type Action, type ReleaseState } from '../../release/index.js';
import { version } from '../../spec/schema.js';
import { findActiveRelease, getRelease, listAudit, listEventsAfter, listReleaseEvents, listReleases, requireRelease, type ReleaseRecord } from '../../store/index.js';
import { authorize } from '../auth.js';
import type { ApiContext } from '../context.js';
import { route, type Route } from '../route.js';

const deployBody = z.strictObject({
  service: z.string().min(1),
  version,
  plan: z.string().optional(),
  reason: z.string().optional(),
  overrideFreeze: z.boolean().optional().meta({ description: 'Admins only, with a reason: deploy during a freeze window' }),
});
const actionBody = z.strictObject({ reason: z.string().optional() });
const rollbackBody = z.strictObject({ to: version.optional().meta({ description: 'Version to go back to; defaults to the one before the last release' }), reason: z.string().optional() });
const idParams = z.object({ id: z.string() });
const serviceParams = z.object({ service: z.string() });
const listQuery = z.object({ service: z.string().optional(), status: z.string().optional(), limit: z.coerce.number().int().min(1).max(500).optional() });
const historyQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).optional() });
const eventsQuery = z.object({ after: z.coerce.number().int().min(0).optional(), release: z.string().optional() });
const auditQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).optional(), actor: z.string().optional(), action: z.string().optional() });

function view(state: ReleaseState) {
  const stage = state.stages[state.stage];
  return {
    id: state.id,
    service: state.service,
    environment: state.environment,
    version: state.version,
    plan: state.plan,
    status: state.status,
    phase: state.phase,
    stage: stage ? { index: state.stage, name: stage.name, of: state.stages.length, track: stage.track ?? null, shares: stage.shares, legacyShare: stage.legacyShare ?? null } : null,
    stages: state.stages.map((s) => s.name),
    from: state.from,
    observingSince: state.observingSince ?? null,
    verdict: state.verdicts.at(-1) ?? null,
    outcome: state.outcome ?? null,
    allowed: allowedActions(state),
    createdBy: state.createdBy,
    reason: state.reason,
  };
}

const stateOf = (r: ReleaseRecord) => view(r.state as ReleaseState);

function actionRoute(ctx: ApiContext, action: Action, summary: string): Route {
  return route({
    method: 'POST', url: `/v1/releases/:id/${action}`, summary, tag: 'releases', action, audit: `release.${action}`, params: idParams, body: actionBody,
    environment: async ({ params }) => (await requireRelease(ctx.store, params.id)).environment,
    handler: async ({ params, body, principal }) => view(await ctx.orchestrator.act(params.id, action, principal.name, body.reason ?? '')),
  });
}

/** Releases: deploy, watch, act on, roll back; the event stream; the audit log. */
export function releaseRoutes(ctx: ApiContext): Route[] {
  const env = ctx.fleet.environment;
  return [
    route({
      method: 'POST', url: '/v1/releases', summary: 'Deploy a version of a service: start a staged release', tag: 'releases', action: 'deploy', audit: 'release.deploy', body: deployBody, status: 201,
      handler: async ({ body, principal }) => {
        const freeze = activeFreeze(env.freezes, new Date());
        if (freeze) {
          if (!body.overrideFreeze) {
            throw new SwitchyardError('SWY_RELEASE_FROZEN', {
              message: `Deploys to ${env.name} are frozen now (${freeze.name}: ${freeze.from} → ${freeze.to} ${freeze.timezone})`,
              details: { environment: env.name, freeze },
            });
          }
          authorize(principal, 'override-freeze', env.name, env.protected);
          if (!body.reason || body.reason.trim().length < 10) {
            throw new SwitchyardError('SWY_API_BAD_REQUEST', { message: 'Overriding a freeze needs a reason of at least 10 characters', hint: 'Say why this deploy cannot wait, e.g. --reason "hotfix for the live match player"' });
          }
        }
        return view(await ctx.orchestrator.deploy({ service: body.service, version: body.version, by: principal.name, ...(body.plan ? { plan: body.plan } : {}), ...(body.reason ? { reason: body.reason } : {}) }));
      },
    }),
    route({
      method: 'GET', url: '/v1/releases', summary: 'Releases, newest first', tag: 'releases', action: 'read', query: listQuery,
      handler: async ({ query }) => ({
        releases: (await listReleases(ctx.store, { environment: env.name, ...(query.service ? { service: query.service } : {}), ...(query.status ? { statuses: query.status.split(',') as ReleaseState['status'][] } : {}), limit: query.limit ?? 50 })).map(stateOf),
      }),
    }),
    route({
      method: 'GET', url: '/v1/releases/:id', summary: 'One release: stage, verdicts, what may be done', tag: 'releases', action: 'read', params: idParams,
      handler: async ({ params }) => {
        const record = await requireRelease(ctx.store, params.id);
        const state = record.state as ReleaseState;
        return { ...view(state), verdicts: state.verdicts, events: await listReleaseEvents(ctx.store, params.id) };
      },
    }),
    actionRoute(ctx, 'approve', 'Approve the stage that waits for a person'),
    actionRoute(ctx, 'promote', 'Go to the next stage now'),
    actionRoute(ctx, 'pause', 'Stop measuring and advancing'),
    actionRoute(ctx, 'resume', 'Carry on after a pause'),
    actionRoute(ctx, 'abort', 'Stop the release and return to what ran before'),
    actionRoute(ctx, 'rollback', 'Roll the release back: traffic to stable at once, then the replicas'),
    route({
      method: 'POST', url: '/v1/services/:service/rollback', summary: 'Roll a service back: its running release, or to an earlier version', tag: 'releases', action: 'rollback', audit: 'service.rollback', params: serviceParams, body: rollbackBody, status: 202,
      handler: async ({ params, body, principal }) => {
        const active = await findActiveRelease(ctx.store, params.service, env.name);
        if (active) return view(await ctx.orchestrator.act(active.id, 'rollback', principal.name, body.reason ?? 'rollback requested'));
        let to = body.to;
        if (!to) {
          const [last] = await listReleases(ctx.store, { service: params.service, environment: env.name, statuses: ['succeeded'], limit: 1 });
          to = last?.fromVersion ?? undefined;
        }
        if (!to) throw new SwitchyardError('SWY_RELEASE_NOT_FOUND', { message: `${params.service} has no earlier release to go back to`, hint: 'Name the version: --to <version> (see `switchyard history`).' });
        return view(await ctx.orchestrator.deploy({ service: params.service, version: to, plan: 'rollback', by: principal.name, reason: body.reason ?? `rollback to ${to}` }));
      },
    }),
    route({
      method: 'GET', url: '/v1/services/:service/history', summary: 'Desired-state commits of a service in the config repository', tag: 'releases', action: 'read', params: serviceParams, query: historyQuery,
      handler: async ({ params, query }) => ({ service: params.service, commits: await ctx.configRepo.history({ environment: env.name, service: params.service, limit: query.limit ?? 50 }) }),
    }),
    route({
      method: 'GET', url: '/v1/audit', summary: 'The append-only audit log, newest first', tag: 'audit', action: 'read', query: auditQuery,
      handler: async ({ query }) => ({ entries: await listAudit(ctx.store, { limit: query.limit ?? 100, ...(query.actor ? { actor: query.actor } : {}), ...(query.action ? { action: query.action } : {}) }) }),
    }),
    route({
      method: 'GET', url: '/v1/events', summary: 'Server-sent events: every release event, resumable with Last-Event-ID or ?after', tag: 'releases', action: 'read', query: eventsQuery, raw: true,
      handler: async ({ query, request, reply }) => {
        const header = request.headers['last-event-id'];
        let after = query.after ?? (typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : 0);
        reply.hijack();
        const out = reply.raw;
        out.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
        out.write(': switchyard events\n\n');
        let closed = false;
        let pumping = false;
        let again = false;
        const pump = async () => {
          if (closed) return;
          if (pumping) {
            again = true;
            return;
          }
          pumping = true;
          try {
            do {
              again = false;
              for (;;) {
                const events = await listEventsAfter(ctx.store, after, 200);
                for (const e of events) {
                  after = e.seq;
                  if (query.release && e.releaseId !== query.release) continue;
                  const release = await getRelease(ctx.store, e.releaseId);
                  const data = { seq: e.seq, release: e.releaseId, type: e.type, at: e.at, event: e.payload, state: release ? stateOf(release) : null };
                  out.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(data)}\n\n`);
                }
                if (events.length < 200) break;
              }
            } while (again && !closed);
          } finally {
            pumping = false;
          }
        };
        const wake = () => void pump();
        const timer = setInterval(() => {
          out.write(': keep-alive\n\n');
          void pump();
        }, 15_000);
        ctx.bus.on('event', wake);
        request.raw.on('close', () => {
          closed = true;
          clearInterval(timer);
          ctx.bus.off('event', wake);
        });
        await pump();
      },
    }),
  ];
}
