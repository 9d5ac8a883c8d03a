import { describe, expect, it } from 'vitest';
import type { Runtime, ServiceStatus } from '../runtime/index.js';
import { fleetMetrics } from './metrics.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A runtime that answers its status slowly, as a cluster or busy routers do: only what metrics read. */
function slowRuntime(services: readonly string[]): Runtime {
  const status = (name: string): ServiceStatus => ({
    service: name,
    address: 'http://127.0.0.1:1',
    stats: 'http://127.0.0.1:2/stats',
    router: { desired: 1, ready: 1 },
    routing: { shares: {}, legacyShare: 0 },
    tracks: [{ track: 'stable', version: '1.0.0', desired: 2, ready: 2, replicas: [] }],
  });
  return {
    fleet: { environment: { name: 'sandbox' } },
    status: async () => {
      await sleep(20);
      return services.map(status);
    },
    router: () => ({ figures: async () => (await sleep(5), []) }),
  } as unknown as Runtime;
}

describe('/metrics scrapes', () => {
  it('never prints a half-filled scrape when scrapes overlap', async () => {
    const services = ['api', 'catalog', 'search'];
    const metrics = fleetMetrics([slowRuntime(services)]);
    // Each scrape starts while the one before is still reading the routers.
    const texts = await Promise.all(Array.from({ length: 6 }, async (_, i) => (await sleep(i * 12), metrics.scrape())));
    for (const text of texts)
      for (const service of services)
        expect(text).toContain(
          `switchyard_track_replicas_desired{service="${service}",track="stable",environment="sandbox"} 2`,
        );
  });
});
