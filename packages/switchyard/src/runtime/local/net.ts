import { createServer } from 'node:net';
import { SwitchyardError } from '../../errors/index.js';

/** How long a port handed out stays reserved for whoever asked for it. */
const HANDED_OUT_FOR_MS = 60_000;
const handedOut = new Map<string, number>();

/**
 * Asks the kernel for a free port on `host`. The kernel may offer the same port twice while
 * the first asker has not yet listened on it, so a port handed out in the last minute is
 * never handed out again by this process.
 */
export async function freePort(host: string): Promise<number> {
  const now = Date.now();
  for (const [key, until] of handedOut) if (until <= now) handedOut.delete(key);
  for (;;) {
    const port = await kernelPort(host);
    const key = `${host}:${port}`;
    if (handedOut.has(key)) continue;
    handedOut.set(key, now + HANDED_OUT_FOR_MS);
    return port;
  }
}

function kernelPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Fails with a clear error when something already listens on `host:port`. */
export function ensurePortFree(host: string, port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new SwitchyardError('SWY_ROUTER_PORT_IN_USE', {
            message: `Port ${port} on ${host} (${what}) is already in use`,
            details: { host, port, what },
          }),
        );
      } else reject(err);
    });
    server.listen(port, host, () => server.close(() => resolve()));
  });
}
