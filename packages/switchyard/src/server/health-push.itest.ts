import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestFleet, type TestFleet } from '../../test/support/local-fleet.js';
import { eventually, startWebhookReceiver, type WebhookReceiver } from '../../test/support/receivers.js';

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
  let receiver: WebhookReceiver<WebhookMessage>;
  /** What the receiver took, with when. */
  const received = () => receiver.received.map((message, i) => ({ at: receiver.arrivedAt[i] as number, message }));
  const freePids = () => fleet.runtime.track('api', 'free').pids();
  const signal = (pids: readonly number[], name: NodeJS.Signals) => pids.forEach((pid) => process.kill(pid, name));

  const until = <T>(what: string, check: () => T | undefined) =>
    eventually(what, check, {
      timeoutMs: 20_000,
      everyMs: 50,
      context: () => `received ${JSON.stringify(received())}`,
    });

  beforeAll(async () => {
    receiver = await startWebhookReceiver<WebhookMessage>();
    process.env[URL_VARIABLE] = receiver.url;
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
    await receiver?.close();
    delete process.env[URL_VARIABLE];
  });

  it('notifies a replica that stopped answering, and its return, with no timer and no read', async () => {
    const [first] = freePids();
    const stopped = Date.now();
    const after = (at: number) => received().filter((r) => r.at >= at);
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
