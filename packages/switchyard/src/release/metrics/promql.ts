import { routerName } from '../../render/index.js';
import { backendName } from '../../router/index.js';
import type { Service, Stage } from '../../spec/index.js';
import type { ReleaseState } from '../types.js';

/**
 * Every PromQL query Switchyard sends is built here: a gate's own query with its variables
 * filled in, and the router counters read from Prometheus when no router answers.
 */

/**
 * A prometheus gate's query for the stage being observed: `$service`, `$track` (the track the
 * stage judges), `$stable`, `$env`, and `$window` (how long the stage has been observed, in seconds).
 */
export function gateQuery(query: string, release: ReleaseState, at: Date): string {
  const stage = release.stages[release.stage] as Stage | undefined;
  const since = release.observingSince ? Date.parse(release.observingSince) : at.getTime();
  return query
    .replaceAll('$service', release.service)
    .replaceAll('$track', stage?.track ?? release.stableTrack)
    .replaceAll('$stable', release.stableTrack)
    .replaceAll('$env', release.environment)
    .replaceAll('$window', `${Math.max(1, Math.round((at.getTime() - since) / 1000))}s`);
}

/** The counters of a track, as the router pods' HAProxy exporter reports them in the service's namespace. */
export function trackCounterQueries(
  service: Service,
  track: string,
): { readonly requests: string; readonly errors: string; readonly responseTimeSeconds: string } {
  const where = `namespace="${service.namespace}",pod=~"${routerName(service.name)}-.*",proxy="${backendName(track)}"`;
  return {
    requests: `sum(haproxy_backend_http_responses_total{${where}})`,
    errors: `sum(haproxy_backend_http_responses_total{${where},code="5xx"})`,
    responseTimeSeconds: `avg(haproxy_backend_response_time_average_seconds{${where}})`,
  };
}
