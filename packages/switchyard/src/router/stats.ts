import { addHistograms, type LatencyHistogram } from './latency.js';

/**
 * Per-track figures read from HAProxy's `show stat` CSV: what gates and dashboards need.
 * Counters are cumulative since HAProxy started; callers take differences between reads.
 */
export interface TrackFigures {
  readonly track: string;
  /** HTTP requests answered by the backend. */
  readonly requests: number;
  readonly responses1xx: number;
  readonly responses2xx: number;
  readonly responses3xx: number;
  readonly responses4xx: number;
  readonly responses5xx: number;
  /** Failed connections to servers and failed responses (reset, timeout). */
  readonly connectionErrors: number;
  readonly responseErrors: number;
  /** Average response time over the last 1024 requests, ms. */
  readonly responseTimeMs: number;
  readonly currentSessions: number;
  /** Servers in UP state. */
  readonly serversUp: number;
  /** Answers by response time (cumulative buckets), when the router's latency table was read. */
  readonly latency?: LatencyHistogram;
}

export interface ServerStatus {
  readonly backend: string;
  readonly server: string;
  readonly status: string;
  readonly currentSessions: number;
  readonly weight: number;
}

export interface StatTable {
  readonly backends: ReadonlyMap<string, Record<string, string>>;
  readonly servers: readonly ServerStatus[];
}

export function parseShowStat(csv: string): StatTable {
  const lines = csv.split('\n').filter((l) => l.length > 0);
  const header = (lines[0] ?? '').replace(/^# /, '').split(',');
  const backends = new Map<string, Record<string, string>>();
  const servers: ServerStatus[] = [];
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    const row: Record<string, string> = {};
    header.forEach((name, i) => (row[name] = cells[i] ?? ''));
    const proxy = row.pxname ?? '';
    const name = row.svname ?? '';
    if (name === 'BACKEND') backends.set(proxy, row);
    else if (name !== 'FRONTEND')
      servers.push({
        backend: proxy,
        server: name,
        status: row.status ?? '',
        currentSessions: Number(row.scur ?? 0),
        weight: Number(row.weight ?? 0),
      });
  }
  return { backends, servers };
}

const num = (row: Record<string, string>, key: string): number => Number(row[key] ?? 0) || 0;

/** Figures of one track's backend (`track_<name>`). */
export function trackFigures(table: StatTable, track: string, backend: string): TrackFigures {
  const row = table.backends.get(backend) ?? {};
  return {
    track,
    requests:
      num(row, 'req_tot') ||
      num(row, 'hrsp_1xx') + num(row, 'hrsp_2xx') + num(row, 'hrsp_3xx') + num(row, 'hrsp_4xx') + num(row, 'hrsp_5xx'),
    responses1xx: num(row, 'hrsp_1xx'),
    responses2xx: num(row, 'hrsp_2xx'),
    responses3xx: num(row, 'hrsp_3xx'),
    responses4xx: num(row, 'hrsp_4xx'),
    responses5xx: num(row, 'hrsp_5xx'),
    connectionErrors: num(row, 'econ'),
    responseErrors: num(row, 'eresp'),
    responseTimeMs: num(row, 'rtime'),
    currentSessions: num(row, 'scur'),
    serversUp: table.servers.filter((s) => s.backend === backend && s.status.startsWith('UP')).length,
  };
}

/**
 * The figures of several routers of one service (its router pods) as one: counters add up, the
 * response time is the average weighted by the requests each router answered.
 */
function latencyOf(figures: readonly TrackFigures[]): { latency?: LatencyHistogram } {
  // Only when every router's histogram was read: a partial sum would look like a slower or faster track.
  const histograms = figures.flatMap((f) => (f.latency ? [f.latency] : []));
  const latency = histograms.length === figures.length ? addHistograms(histograms) : undefined;
  return latency ? { latency } : {};
}

/** With the track's histogram from the router's latency table, when it has one. */
export function withLatency(
  figures: readonly TrackFigures[],
  histograms: ReadonlyMap<string, LatencyHistogram>,
): TrackFigures[] {
  return figures.map((f) => {
    const latency = histograms.get(f.track);
    return latency ? { ...f, latency } : f;
  });
}

export function combineFigures(routers: readonly (readonly TrackFigures[])[]): TrackFigures[] {
  const tracks = [...new Set(routers.flatMap((figures) => figures.map((f) => f.track)))];
  return tracks.map((track) => {
    const all = routers.map((figures) => figures.find((f) => f.track === track)).filter((f) => f !== undefined);
    const sum = (key: Exclude<keyof TrackFigures, 'track' | 'responseTimeMs' | 'latency'>) =>
      all.reduce((n, f) => n + f[key], 0);
    const requests = sum('requests');
    return {
      track,
      requests,
      responses1xx: sum('responses1xx'),
      responses2xx: sum('responses2xx'),
      responses3xx: sum('responses3xx'),
      responses4xx: sum('responses4xx'),
      responses5xx: sum('responses5xx'),
      connectionErrors: sum('connectionErrors'),
      responseErrors: sum('responseErrors'),
      responseTimeMs: requests > 0 ? all.reduce((n, f) => n + f.responseTimeMs * f.requests, 0) / requests : 0,
      currentSessions: sum('currentSessions'),
      serversUp: sum('serversUp'),
      ...latencyOf(all),
    };
  });
}
