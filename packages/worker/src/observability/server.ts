import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthSource {
  /** Ready to take tasks: connected, consuming, not draining. */
  ready(): boolean;
  /** Alive: the main loop answers (a worker stuck disconnected for long is not healthy). */
  healthy(): boolean;
  /** What a worker that is not ready waits for (`broker`), given in the /ready answer for the platform's status. */
  waitingFor?(): string | undefined;
}

/** /ready, /healthz and /metrics on the port the platform probes (SWITCHYARD_METRICS_PORT). */
export async function serveObservability(
  port: number,
  registry: Registry,
  health: HealthSource,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        })
        .catch((err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        });
      return;
    }
    const ok = path === '/ready' ? health.ready() : path === '/healthz' ? health.healthy() : undefined;
    if (ok === undefined) {
      res.writeHead(404);
      res.end();
      return;
    }
    const waiting = path === '/ready' && !ok ? health.waitingFor?.() : undefined;
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok, ...(waiting ? { waiting } : {}) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
