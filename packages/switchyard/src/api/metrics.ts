import { Counter, Gauge, Registry } from 'prom-client';
import { CHECKS, SEVERITIES, type HealthReport, type Worst } from '../health/index.js';
import type { Runtime } from '../runtime/index.js';

/**
 * Prometheus metrics of the fleet, read at scrape time from the routers' stats sockets and
 * the runtime: what a user's Prometheus scrapes and what release gates can query.
 */
export interface FleetMetrics {
  readonly registry: Registry;
  /**
   * One scrape: the routers and the runtime read, then the text. Scrapes run one after another: the gauges are reset and
   * filled by each refresh, so two at once would print each other's half-filled series.
   */
  scrape(): Promise<string>;
}

/**
 * Every environment's runtime, each series labelled with its environment (last, so a query on
 * service and track reads as before). `openStreams` reads how many event streams the API serves now.
 */
export function fleetMetrics(
  runtimes: readonly Runtime[],
  openStreams: () => number = () => 0,
  health?: () => Promise<readonly HealthReport[]>,
): FleetMetrics {
  const registry = new Registry();
  const labels = ['service', 'track', 'environment'] as const;
  const requests = new Counter({
    name: 'switchyard_router_requests_total',
    help: 'HTTP requests answered by a track (counter since the router started)',
    labelNames: labels,
    registers: [registry],
  });
  const responses = new Counter({
    name: 'switchyard_router_responses_total',
    help: 'HTTP responses of a track by class (counter since the router started)',
    labelNames: ['service', 'track', 'code', 'environment'],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'switchyard_router_errors_total',
    help: 'Connection and response errors towards a track (counter since the router started)',
    labelNames: ['service', 'track', 'kind', 'environment'],
    registers: [registry],
  });
  const responseTime = new Gauge({
    name: 'switchyard_router_response_time_seconds',
    help: 'Average response time of a track over its last 1024 requests',
    labelNames: labels,
    registers: [registry],
  });
  const share = new Gauge({
    name: 'switchyard_router_canary_share_percent',
    help: 'Share of a traffic group sent to its canary track',
    labelNames: ['service', 'group', 'environment'],
    registers: [registry],
  });
  const legacy = new Gauge({
    name: 'switchyard_router_legacy_share_percent',
    help: 'Share of all traffic sent to the legacy backend',
    labelNames: ['service', 'environment'],
    registers: [registry],
  });
  const ready = new Gauge({
    name: 'switchyard_track_replicas_ready',
    help: 'Ready replicas of a track',
    labelNames: labels,
    registers: [registry],
  });
  const desired = new Gauge({
    name: 'switchyard_track_replicas_desired',
    help: 'Desired replicas of a track',
    labelNames: labels,
    registers: [registry],
  });
  new Gauge({
    name: 'switchyard_api_event_streams',
    help: 'Event streams the API serves now',
    registers: [registry],
    collect() {
      this.set(openStreams());
    },
  });
  const refreshHealth = health ? healthMetrics(registry, health) : async () => undefined;
  /**
   * The routers count since they started; a scrape exposes their totals as they are now. A
   * counter that goes down (a router restarted) is a counter reset, which rate() and increase() expect.
   */
  const total = (counter: Counter<string>, labels: Record<string, string>, value: number) =>
    counter.inc(labels, Math.max(0, value));
  async function refresh(): Promise<void> {
    for (const m of [requests, responses, errors, responseTime, share, legacy, ready, desired]) m.reset();
    for (const runtime of runtimes) {
      const environment = runtime.fleet.environment.name;
      for (const service of await runtime.status()) {
        for (const track of service.tracks) {
          desired.set({ service: service.service, track: track.track, environment }, track.desired);
          ready.set({ service: service.service, track: track.track, environment }, track.ready);
        }
        for (const [group, value] of Object.entries(service.routing.shares))
          share.set({ service: service.service, group, environment }, value);
        legacy.set({ service: service.service, environment }, service.routing.legacyShare);
        const figures = await runtime
          .router(service.service)
          .figures()
          .catch(() => []);
        for (const f of figures) {
          const at = { service: service.service, track: f.track };
          for (const [code, value] of [
            ['1xx', f.responses1xx],
            ['2xx', f.responses2xx],
            ['3xx', f.responses3xx],
            ['4xx', f.responses4xx],
            ['5xx', f.responses5xx],
          ] as const)
            total(responses, { ...at, code, environment }, value);
          total(requests, { ...at, environment }, f.requests);
          total(errors, { ...at, kind: 'connection', environment }, f.connectionErrors);
          total(errors, { ...at, kind: 'response', environment }, f.responseErrors);
          responseTime.set({ ...at, environment }, f.responseTimeMs / 1000);
        }
      }
    }
    await refreshHealth();
  }
  let last: Promise<unknown> = Promise.resolve();
  const scrape = (): Promise<string> => {
    const next = last
      .catch(() => undefined)
      .then(async () => {
        await refresh();
        return registry.metrics();
      });
    last = next;
    return next;
  };
  return { registry, scrape };
}

/** Worst severity as a number an alert rule can compare: 0 ok, 1 info, 2 warning, 3 critical. */
export const SEVERITY_LEVEL: Readonly<Record<Worst, number>> = { ok: 0, info: 1, warning: 2, critical: 3 };

/** Health findings as gauges: one series per finding, a count per check (0 when clear), the worst severity. */
function healthMetrics(registry: Registry, reports: () => Promise<readonly HealthReport[]>): () => Promise<void> {
  const finding = new Gauge({
    name: 'switchyard_health_finding_since_timestamp_seconds',
    help: 'A health finding that holds now, by check and where; the value is when it was first seen (Unix time)',
    labelNames: ['check', 'severity', 'unit', 'part', 'environment'],
    registers: [registry],
  });
  const findings = new Gauge({
    name: 'switchyard_health_check_findings',
    help: 'Findings of a health check now, by severity (0 when the check finds nothing)',
    labelNames: ['check', 'severity', 'environment'],
    registers: [registry],
  });
  const worst = new Gauge({
    name: 'switchyard_health_worst_severity',
    help: 'Worst severity of the environment health: 0 ok, 1 info, 2 warning, 3 critical',
    labelNames: ['environment'],
    registers: [registry],
  });
  return async () => {
    for (const m of [finding, findings, worst]) m.reset();
    for (const report of await reports()) {
      const { environment } = report;
      worst.set({ environment }, SEVERITY_LEVEL[report.worst]);
      for (const check of CHECKS)
        for (const severity of SEVERITIES)
          findings.set(
            { check, severity, environment },
            report.findings.filter((f) => f.check === check && f.severity === severity).length,
          );
      for (const f of report.findings)
        finding.set(
          { check: f.check, severity: f.severity, unit: f.unit, part: f.part, environment },
          Date.parse(f.since) / 1000,
        );
    }
  };
}
