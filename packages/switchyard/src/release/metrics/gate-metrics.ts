import type { Router, TrackFigures } from '../../router/index.js';
import type { Service } from '../../spec/index.js';
import type { MetricsSource, PrometheusSource } from '../ports.js';
import type { Measurement, ReleaseState, TrackCounters } from '../types.js';
import { gateQuery, trackCounterQueries } from './promql.js';

/** Where the counters come from: the service as it runs, and its router (a Runtime is one). */
export interface RoutedServices {
  service(name: string): Service;
  router(name: string): Pick<Router, 'figures'>;
}

/**
 * What users saw, per track: connection errors the router retried elsewhere are not failures;
 * one it could not retry became a 5xx, and that is what counts.
 */
export function trackCounters(figures: readonly TrackFigures[]): Record<string, TrackCounters> {
  return Object.fromEntries(
    figures.map((f) => [
      f.track,
      {
        requests: f.requests,
        errors: f.responses5xx,
        responseTimeMs: f.responseTimeMs,
        ...(f.latency ? { latency: f.latency } : {}),
      },
    ]),
  );
}

/**
 * A release's measurement: counters from the service's router, or from Prometheus when no
 * router answers and the service names one (release.prometheus.url), else none (a gate then
 * sees no traffic); and the value of each prometheus gate of the stage, from that Prometheus.
 */
export class GateMetrics implements MetricsSource {
  constructor(
    private readonly services: RoutedServices,
    private readonly prometheus?: PrometheusSource,
  ) {}

  async measure(release: ReleaseState, at: Date): Promise<Measurement> {
    const service = this.services.service(release.service);
    const tracks = await this.counters(service);
    const gates = (release.stages[release.stage]?.gates ?? []).filter((g) => g.metric === 'prometheus');
    if (gates.length === 0) return { tracks };
    const prometheus: Record<string, number | null> = {};
    for (const gate of gates) prometheus[gate.name] = await this.query(service, gateQuery(gate.query, release, at));
    return { tracks, prometheus };
  }

  private async counters(service: Service): Promise<Record<string, TrackCounters>> {
    const figures = await this.services.router(service.name).figures();
    if (figures.length > 0) return trackCounters(figures);
    if (!service.release.prometheusUrl || !this.prometheus) return {};
    const tracks: Record<string, TrackCounters> = {};
    for (const track of service.tracks) {
      const queries = trackCounterQueries(service, track.name);
      const requests = (await this.query(service, queries.requests)) ?? 0;
      const errors = (await this.query(service, queries.errors)) ?? 0;
      const seconds = (await this.query(service, queries.responseTimeSeconds)) ?? 0;
      tracks[track.name] = { requests, errors, responseTimeMs: seconds * 1000 };
    }
    return tracks;
  }

  /** One number from the service's Prometheus; null when it names none or the query fails. */
  private async query(service: Service, promql: string): Promise<number | null> {
    const url = service.release.prometheusUrl;
    return url && this.prometheus ? this.prometheus.query(url, promql).catch(() => null) : null;
  }
}
