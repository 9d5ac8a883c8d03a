import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestFleet, type TestFleet } from '../../test/support/local-fleet.js';

/**
 * Health follows the runtime's own changes: with the alerts' timer at one hour and nobody
 * reading /v1/health, a replica that stops answering its readiness probe is notified as soon
 * as the runtime sees it, and resolved as soon as it answers again.
 */

interface WebhookMessage {
  readonly status: 'firing' | 'resolved';
  readonly service: string;
  readonly findings: readonly { check: string; part: string }[];
}

const URL_VARIABLE = 'SWY_ITEST_HEALTH_PUSH_URL';

describe('health pushed from the runtime', () => {
  let fleet: TestFleet;
  let receiver: Server;
  const received: { at: number; message: WebhookMessage }[] = [];
  const freePids = () => fleet.runtime.track('api', 'free').pids();
  const signal = (pids: readonly number[], name: NodeJS.Signals) => pids.forEach((pid) => process.kill(pid, name));

  async function until<T>(what: string, check: () => T | undefined, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = check();
      if (found !== undefined) return found;
      if (Date.now() > deadline)
        throw new Error(`${what}: not within ${timeoutMs} ms; received ${JSON.stringify(received)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          at: Date.now(),
          message: JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookMessage,
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    process.env[URL_VARIABLE] = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    fleet = await startTestFleet({
      service: { probes: { readiness: { path: '/ready', periodSeconds: 1 } } },
      environment: {
        alerts: {
          rules: [{ name: 'endpoints-now', checks: ['track-endpoints'], severity: 'warning', for: '0s' }],
          receivers: [{ name: 'ops', type: 'webhook', urlFrom: URL_VARIABLE }],
        },
      },
      alertsEveryMs: 3_600_000,
    });
  });
  afterAll(async () => {
    if (fleet) signal(freePids(), 'SIGCONT');
    await fleet?.stop();
    receiver?.close();
    delete process.env[URL_VARIABLE];
  });

  it('notifies a replica that stopped answering, and its return, with no timer and no read', async () => {
    const [first] = freePids();
    const stopped = Date.now();
    const after = (at: number) => received.filter((r) => r.at >= at);
    signal([first as number], 'SIGSTOP');
    const fired = await until('the firing notification', () =>
      after(stopped).find((r) => r.message.status === 'firing' && r.message.findings.some((f) => f.part === 'free')),
    );
    expect(fired.message.findings.map((f) => f.check)).toEqual(['track-endpoints']);
    const continued = Date.now();
    signal([first as number], 'SIGCONT');
    const resolved = await until('the resolved notification', () =>
      after(continued).find((r) => r.message.status === 'resolved'),
    );
    expect(resolved.message.service).toBe('api');
    expect(after(stopped).filter((r) => r.message.status === 'firing')).toHaveLength(1);
    console.log(
      `health push: firing ${fired.at - stopped} ms after the replica stopped, resolved ${resolved.at - continued} ms after it went on`,
    );
  });
});
