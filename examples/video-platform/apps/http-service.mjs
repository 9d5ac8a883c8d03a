// One replica of an example HTTP service. It says who answered (service, track, version),
// so that routing can be seen with curl. A version ending in `-failNN` (e.g. 1.5.0-fail20)
// answers NN% of requests with a 500: the example of a bad release. One ending in `-slowNN`
// answers NN% of requests 300 ms late: a release that made its slowest answers slower.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 8080);
// Loopback on one machine; a container image sets HOST=0.0.0.0 so the pod's router reaches it.
const host = process.env.HOST ?? '127.0.0.1';
const identity = {
  service: process.env.SWITCHYARD_SERVICE ?? 'unknown',
  track: process.env.SWITCHYARD_TRACK ?? 'unknown',
  version: process.env.SWITCHYARD_VERSION ?? 'unknown',
  env: process.env.SWITCHYARD_ENV ?? 'unknown',
  replica: process.env.SWITCHYARD_REPLICA ?? String(process.pid),
};
const failPercent = Number(/-fail(\d+)$/.exec(identity.version)?.[1] ?? process.env.FAIL_PERCENT ?? 0);
const slowPercent = Number(/-slow(\d+)$/.exec(identity.version)?.[1] ?? 0);
const SLOW_MS = 300;
const latencyMs = Number(process.env.LATENCY_MS ?? 0);
let draining = false;

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/healthz') return reply(res, 200, { ok: true });
  if (path === '/ready') return reply(res, draining ? 503 : 200, { ready: !draining });
  const answer = () => {
    if (failPercent > 0 && Math.random() * 100 < failPercent) {
      return reply(res, 500, { ...identity, error: 'injected failure' });
    }
    reply(res, 200, { ...identity, path, group: req.headers['x-traffic-group'] ?? null });
  };
  const delay = latencyMs + (slowPercent > 0 && Math.random() * 100 < slowPercent ? SLOW_MS : 0);
  if (delay > 0) setTimeout(answer, delay);
  else answer();
});
server.keepAliveTimeout = 65_000;

function reply(res, status, body) {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

server.listen(port, host, () => {
  console.log(JSON.stringify({ msg: 'listening', host, port, ...identity }));
});

process.on('SIGTERM', () => {
  // Stop being ready, finish what is in flight, then leave.
  draining = true;
  server.close(() => process.exit(0));
  server.closeIdleConnections?.();
  setTimeout(() => process.exit(0), 10_000).unref();
});
