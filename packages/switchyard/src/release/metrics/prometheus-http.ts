import type { PrometheusSource } from '../ports.js';
import { SwitchyardError } from '../../errors/index.js';

/** Queries a Prometheus-compatible HTTP API (instant query) for one number. */
export class PrometheusHttpSource implements PrometheusSource {
  constructor(private readonly timeoutMs = 5000) {}

  async query(url: string, promql: string): Promise<number | null> {
    const response = await fetch(`${url.replace(/\/$/, '')}/api/v1/query?query=${encodeURIComponent(promql)}`, {
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok)
      throw new SwitchyardError('SWY_METRICS_QUERY_FAILED', {
        message: `Prometheus at ${url} answered ${response.status} to ${promql}`,
      });
    const body = (await response.json()) as { status: string; data?: { resultType: string; result: unknown } };
    if (body.status !== 'success' || !body.data)
      throw new SwitchyardError('SWY_METRICS_QUERY_FAILED', {
        message: `Prometheus at ${url} could not run ${promql}`,
      });
    const { resultType, result } = body.data;
    const value =
      resultType === 'scalar'
        ? (result as [number, string])[1]
        : resultType === 'vector'
          ? (result as { value: [number, string] }[])[0]?.value[1]
          : undefined;
    if (value === undefined) return null;
    const n = Number(value);
    return Number.isFinite(n) ? n : null;
  }
}
