import { createServer } from 'node:net';
import { SwitchyardError } from '../../errors/index.js';

/** Asks the kernel for a free port on `host`. */
export function freePort(host: string): Promise<number> {
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
