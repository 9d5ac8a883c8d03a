import { Gauge, Registry } from 'prom-client';
import type { Runtime } from '../runtime/index.js';

/**
 * Prometheus metrics of the fleet, read at scrape time from the routers' stats sockets and
 * the runtime: what a user's Prometheus scrapes and what release gates can query.
 */
export interface FleetMetrics {
  readonly registry: Registry;
  /** Reads the routers and the runtime; call before each scrape. */
  refresh(): Promise<void>;
}

/** `openStreams` reads how many event streams the API serves now. */
export function fleetMetrics(runtime: Runtime, openStreams: () => number = () => 0): FleetMetrics {
  const registry = new Registry();
  const labels = ['service', 'track'] as const;
  const requests = new Gauge({
    name: 'switchyard_router_requests_total',
    help: 'HTTP requests answered by a track (counter since the router started)',
    labelNames: labels,
    registers: [registry],
  });
  const responses = new Gauge({
    name: 'switchyard_router_responses_total',
    help: 'HTTP responses of a track by class (counter since the router started)',
    labelNames: [...labels, 'code'],
    registers: [registry],
  });
  const errors = new Gauge({
    name: 'switchyard_router_errors_total',
    help: 'Connection and response errors towards a track (counter since the router started)',
    labelNames: [...labels, 'kind'],
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
    labelNames: ['service', 'group'],
    registers: [registry],
  });
  const legacy = new Gauge({
    name: 'switchyard_router_legacy_share_percent',
    help: 'Share of all traffic sent to the legacy backend',
    labelNames: ['service'],
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
  async function refresh(): Promise<void> {
    for (const m of [requests, responses, errors, responseTime, share, legacy, ready, desired]) m.reset();
    for (const service of await runtime.status()) {
      for (const track of service.tracks) {
        desired.set({ service: service.service, track: track.track }, track.desired);
        ready.set({ service: service.service, track: track.track }, track.ready);
      }
      for (const [group, value] of Object.entries(service.routing.shares))
        share.set({ service: service.service, group }, value);
      legacy.set({ service: service.service }, service.routing.legacyShare);
      const figures = await runtime
        .router(service.service)
        .figures()
        .catch(() => []);
      for (const f of figures) {
        const l = { service: service.service, track: f.track };
        requests.set(l, f.requests);
        responses.set({ ...l, code: '1xx' }, f.responses1xx);
        responses.set({ ...l, code: '2xx' }, f.responses2xx);
        responses.set({ ...l, code: '3xx' }, f.responses3xx);
        responses.set({ ...l, code: '4xx' }, f.responses4xx);
        responses.set({ ...l, code: '5xx' }, f.responses5xx);
        errors.set({ ...l, kind: 'connection' }, f.connectionErrors);
        errors.set({ ...l, kind: 'response' }, f.responseErrors);
        responseTime.set(l, f.responseTimeMs / 1000);
      }
    }
  }
  return { registry, refresh };
}
