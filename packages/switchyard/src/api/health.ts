import { ENDED_BADLY, ENDED_HOLD_MS, HealthLog, type HealthReport } from '../health/index.js';
import { ACTIVE_STATUSES } from '../release/index.js';
import type { Runtime } from '../runtime/index.js';
import { BrokerWatch } from './broker-watch.js';
import type { ApiContext } from './context.js';

/** One log per runtime: /v1/health and /metrics read the same first-seen times. */
const logs = new WeakMap<Runtime, HealthLog>();
/** One watch of the broker per runtime: its queues' history outlives each evaluation. */
const brokers = new WeakMap<Runtime, BrokerWatch>();

function brokerWatch(ctx: Pick<ApiContext, 'runtime' | 'queues'>): BrokerWatch | undefined {
  if (!ctx.queues) return undefined;
  let watch = brokers.get(ctx.runtime);
  if (!watch) brokers.set(ctx.runtime, (watch = new BrokerWatch(ctx.queues)));
  return watch;
}

/** Releases in progress an environment can have at once, and more. */
const RELEASES_READ = 1000;

/** The environment's health now: what its runtime runs, against its spec and its releases in progress. */
export async function environmentHealth(
  ctx: Pick<ApiContext, 'runtime' | 'releases' | 'alerts' | 'queues'>,
  now = new Date(),
): Promise<HealthReport> {
  const { runtime } = ctx;
  let log = logs.get(runtime);
  if (!log) logs.set(runtime, (log = new HealthLog()));
  const environment = runtime.fleet.environment.name;
  const hasWorkers = runtime.fleet.units.some((u) => u.kind === 'Worker');
  const [services, workers, releases, ended, broker] = await Promise.all([
    runtime.status(),
    runtime.workerStatus(),
    ctx.releases.list({ environment, statuses: ACTIVE_STATUSES, limit: RELEASES_READ }),
    ctx.releases.ended(environment, ENDED_BADLY, new Date(now.getTime() - ENDED_HOLD_MS), RELEASES_READ),
    hasWorkers ? brokerWatch(ctx)?.read(now) : undefined,
  ]);
  const receivers = ctx.alerts?.failing() ?? [];
  const report = log.evaluate(
    { fleet: runtime.fleet, services, workers, releases, ended, receivers, ...(broker ? { broker } : {}) },
    now,
  );
  // Alerts take every evaluation, a read's as well as the timer's; a slow receiver never delays the answer.
  void ctx.alerts?.observe(report, now).catch(() => undefined);
  return report;
}
