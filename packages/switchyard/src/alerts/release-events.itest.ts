import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startWebhookReceiver, type WebhookReceiver } from '../../test/support/receivers.js';
import { call, releaseFleet, waitForRelease } from '../../test/support/release.js';
import type { TestFleet } from '../../test/support/local-fleet.js';
import type { HealthReport } from '../health/index.js';

/**
 * Releases that end badly reach people through the alert rules, on the local runtime with real
 * HAProxy and the built-in rules only: a release rolled back is notified at once (the `releases`
 * rule), once, and resolved when the service's next release starts; an abort, a person's own
 * decision, is listed in health as info and notifies nobody.
 */

interface WebhookBody {
  status: 'firing' | 'resolved';
  service: string;
  findings: { check: string; severity: string; rule: string; objects: string[]; message: string }[];
}

const URL_VARIABLE = 'SWY_ITEST_RELEASE_EVENTS_URL';

describe('alerts on releases that end badly', () => {
  let fleet: TestFleet;
  let receiver: WebhookReceiver<WebhookBody>;
  const health = async () => (await call<HealthReport>(fleet.api, fleet.auth, 'GET', '/v1/health')).body;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const until = <T>(what: string, check: () => Promise<T | undefined> | T | undefined) =>
    eventually(what, check, { timeoutMs: 30_000, context: () => `received ${JSON.stringify(receiver.received)}` });
  const deploy = async (version: string) => {
    const started = await call<{ id: string }>(fleet.api, fleet.auth, 'POST', '/v1/releases', {
      service: 'api',
      version,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    return started.body.id;
  };
  const act = async (id: string, action: 'rollback' | 'abort') => {
    const answer = await call(fleet.api, fleet.auth, 'POST', `/v1/releases/${id}/${action}`, { reason: 'itest' });
    expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(300);
  };

  beforeAll(async () => {
    receiver = await startWebhookReceiver<WebhookBody>({ down: false });
    process.env[URL_VARIABLE] = receiver.url;
    fleet = await releaseFleet({
      environment: { alerts: { receivers: [{ name: 'ops', type: 'webhook', urlFrom: URL_VARIABLE }] } },
      alertsEveryMs: 300,
      alertsRetryMs: 200,
    });
  });
  afterAll(async () => {
    await fleet?.stop();
    await receiver?.close();
    delete process.env[URL_VARIABLE];
  });

  it('notifies a rollback at once and once, and resolves it when the next release starts', async () => {
    const first = await deploy('1.1.0');
    await act(first, 'rollback');
    await waitForRelease(fleet.api, fleet.auth, first, (r) => r.status === 'rolled-back');

    const firing = await until('the rollback notified', () => receiver.received[0]);
    expect(firing).toMatchObject({ status: 'firing', service: 'api' });
    expect(firing.findings).toEqual([
      expect.objectContaining({
        check: 'release-rolled-back',
        severity: 'warning',
        rule: 'releases',
        objects: [`release/${first}`],
      }),
    ]);
    expect(firing.findings[0]?.message).toContain(`release ${first.slice(0, 8)} of api 1.1.0 was rolled back`);
    await sleep(1500);
    expect(receiver.received).toHaveLength(1);

    const second = await deploy('1.3.0');
    const resolved = await until('the rollback resolved', () => receiver.received[1]);
    expect(resolved).toMatchObject({ status: 'resolved', service: 'api' });
    expect(resolved.findings.map((f) => f.check)).toEqual(['release-rolled-back']);

    // An abort is a person's decision: listed, info, and told to nobody by the built-in rules.
    await act(second, 'abort');
    await waitForRelease(fleet.api, fleet.auth, second, (r) => r.status === 'aborted');
    const aborted = await until('the abort in health', async () =>
      (await health()).findings.find((f) => f.check === 'release-rolled-back'),
    );
    expect(aborted).toMatchObject({ severity: 'info', unit: 'api', objects: [`release/${second}`] });
    expect(aborted.message).toContain('was aborted');
    await sleep(1500);
    expect(receiver.received).toHaveLength(2);
  });
});
