import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_SERVICE, startTestFleet, type TestFleet } from '../../test/support/local-fleet.js';
import { eventually, startWebhookReceiver, type WebhookReceiver } from '../../test/support/receivers.js';
import { freePort } from '../runtime/local/net.js';
import { DATA_DIR_VAR, PROCESS_VAR } from '../runtime/local/process-record.js';

/**
 * Incidents of a local fleet with real HAProxy, each told to a real HTTP receiver as exactly one
 * grouped notification and then one resolved one: the router stops answering (its HAProxy
 * workers stopped with SIGSTOP), and an old version is left running beside the fleet.
 */

interface WebhookBody {
  status: 'firing' | 'resolved';
  service: string;
  findings: { check: string; part: string; severity: string }[];
}

const URL_VARIABLE = 'SWY_ITEST_INCIDENTS_URL';

describe('incidents of a local fleet, told once and resolved once', () => {
  let fleet: TestFleet;
  let receiver: WebhookReceiver<WebhookBody>;
  let old: ChildProcess | undefined;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const routerWorkers = () =>
    execFileSync('pgrep', ['-P', String(fleet.runtime.router('api').pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  const signal = (pids: readonly number[], name: NodeJS.Signals) => pids.forEach((pid) => process.kill(pid, name));
  const until = <T>(what: string, check: () => T | undefined) =>
    eventually(what, check, { timeoutMs: 30_000, context: () => `received ${JSON.stringify(receiver.received)}` });
  const told = (from: number) =>
    receiver.received.slice(from).map((n) => `${n.status} ${n.findings.map((f) => `${f.check}/${f.part}`).join(',')}`);

  beforeAll(async () => {
    receiver = await startWebhookReceiver<WebhookBody>({ down: false });
    process.env[URL_VARIABLE] = receiver.url;
    fleet = await startTestFleet({
      service: { probes: { readiness: { path: '/ready', periodSeconds: 1 } } },
      environment: {
        alerts: {
          rules: [{ name: 'at-once', checks: ['router-replicas', 'leftovers'], severity: 'warning', for: '0s' }],
          receivers: [{ name: 'ops', type: 'webhook', urlFrom: URL_VARIABLE }],
        },
      },
      alertsEveryMs: 300,
      alertsRetryMs: 200,
    });
  });
  afterAll(async () => {
    if (fleet) signal(routerWorkers(), 'SIGCONT');
    old?.kill('SIGKILL');
    await fleet?.stop();
    await receiver?.close();
    delete process.env[URL_VARIABLE];
  });

  it('a router that stops answering: one critical notification, then one resolved', async () => {
    const from = receiver.received.length;
    const workers = routerWorkers();
    signal(workers, 'SIGSTOP');
    try {
      await until('the router notified', () => receiver.received[from]);
      await sleep(1500);
    } finally {
      signal(workers, 'SIGCONT');
    }
    await until('the router resolved', () => receiver.received[from + 1]);
    await sleep(1500);
    expect(told(from)).toEqual(['firing router-replicas/router', 'resolved router-replicas/router']);
    expect(receiver.received[from]?.findings[0]?.severity).toBe('critical');
  });

  it('an old version left running: one warning notification, then one resolved once it is stopped', async () => {
    const from = receiver.received.length;
    const port = await freePort('127.0.0.1');
    old = spawn(process.execPath, [HTTP_SERVICE], {
      env: {
        ...process.env,
        PORT: String(port),
        [DATA_DIR_VAR]: fleet.dataDir,
        [PROCESS_VAR]: 'api-paid-old',
        SWITCHYARD_SERVICE: 'api',
        SWITCHYARD_TRACK: 'paid',
        SWITCHYARD_VERSION: '0.9.0',
      },
      stdio: 'ignore',
    });
    await until('the leftover notified', () => receiver.received[from]);
    await sleep(1500);
    const exited = new Promise((r) => old?.once('exit', r));
    old.kill('SIGTERM');
    await exited;
    await until('the leftover resolved', () => receiver.received[from + 1]);
    await sleep(1500);
    expect(told(from)).toEqual(['firing leftovers/paid', 'resolved leftovers/paid']);
  });
});
