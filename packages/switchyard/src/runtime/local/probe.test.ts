import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { Probe } from '../../spec/index.js';
import { LivenessWatch, runProbe } from './probe.js';

let server: Server | undefined;
afterEach(() => server?.close());

/** A replica whose /healthz answers `status()`; resolves with its port. */
async function replica(status: () => number): Promise<number> {
  server = createServer((_req, res) => {
    res.statusCode = status();
    res.end();
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

const probe = (over: Partial<Probe> = {}): Probe => ({
  kind: 'http',
  path: '/healthz',
  port: 0,
  periodSeconds: 0.05,
  timeoutSeconds: 0.2,
  failureThreshold: 3,
  initialDelaySeconds: 0,
  ...over,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('probes', () => {
  it('run as http, tcp and exec probes', async () => {
    const port = await replica(() => 200);
    const target = { host: '127.0.0.1', port, cwd: '/', env: {} };
    expect(await runProbe(probe(), target)).toBe(true);
    expect(await runProbe(probe({ kind: 'tcp' }), target)).toBe(true);
    expect(await runProbe(probe({ kind: 'exec', exec: ['sh', '-c', 'test "$PORT" = ' + port] }), target)).toBe(true);
    expect(await runProbe(probe({ kind: 'exec', exec: ['false'] }), target)).toBe(false);
    expect(await runProbe(probe({ kind: 'exec', exec: ['sleep', '5'] }), target)).toBe(false);
  });

  it('liveness fails after failureThreshold failures in a row, once, and a success starts the count again', async () => {
    const answers = [500, 500, 200, 500, 500, 500, 500];
    let asked = 0;
    const port = await replica(() => answers[Math.min(asked++, answers.length - 1)] as number);
    const failures: number[] = [];
    new LivenessWatch(probe(), { host: '127.0.0.1', port, cwd: '/', env: {} }, (n) => failures.push(n)).start(
      Date.now(),
    );
    await sleep(700);
    expect(failures).toEqual([3]);
    expect(asked).toBe(6);
  });

  it('waits initialDelaySeconds from the start before the first probe', async () => {
    let asked = 0;
    const port = await replica(() => (asked++, 500));
    const watch = new LivenessWatch(
      probe({ initialDelaySeconds: 0.4 }),
      { host: '127.0.0.1', port, cwd: '/', env: {} },
      () => undefined,
    );
    watch.start(Date.now());
    await sleep(250);
    expect(asked).toBe(0);
    await sleep(300);
    expect(asked).toBeGreaterThan(0);
    watch.stop();
  });
});
