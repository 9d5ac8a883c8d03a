import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createLogger, createTaskProducer, HEADER, RabbitMqManagementDepth, RabbitMqQueue } from '@switchyard/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promtoolProblems } from '../../../../test/support/promtool.js';
import { REPO_ROOT } from '../../test/support/cli.js';
import { startTestFleet, type TestFleet } from '../../test/support/local-fleet.js';
import { eventually, startWebhookReceiver, type WebhookReceiver } from '../../test/support/receivers.js';
import { call } from '../../test/support/release.js';
import type { Finding, HealthReport } from '../health/index.js';
import { freePort } from '../runtime/index.js';
import { BrokerWatch } from './broker-watch.js';

/**
 * The workers' queues in fleet health, read from a real RabbitMQ's management API on the local
 * runtime: a flooded dead-letter queue and a backlog nobody works each raise their finding and
 * exactly one grouped notification per receiver (Slack's format and the generic webhook), then
 * one resolved notification each once the queue is dealt with (purged, as an operator would).
 */

function env(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is not set: start RabbitMQ with test/infra/up rabbitmq and source /tmp/switchyard/infra.env`,
    );
  return value;
}

interface SlackMessage {
  text: string;
}
interface WebhookMessage {
  status: 'firing' | 'resolved';
  service: string;
  findings: { check: string; severity: string; part: string; message: string }[];
}

const SLACK_URL = 'SWY_ITEST_WORKER_HEALTH_SLACK_URL';
const HOOK_URL = 'SWY_ITEST_WORKER_HEALTH_HOOK_URL';
const FLOOD = 25;

describe('health of the workers’ queues', () => {
  let fleet: TestFleet;
  let slack: WebhookReceiver<SlackMessage>;
  let hook: WebhookReceiver<WebhookMessage>;
  let sdk: RabbitMqQueue;
  const queue = `encode-${randomUUID().slice(0, 8)}`;
  const deadLetters = `${queue}.dead`;
  const management = new URL(env('SWITCHYARD_TEST_RABBIT_MGMT_URL'));
  const authorization = `Basic ${Buffer.from(`${decodeURIComponent(management.username)}:${decodeURIComponent(management.password)}`).toString('base64')}`;
  const broker = (method: string, path: string, body?: unknown) =>
    fetch(`${management.origin}/api/queues/%2F/${path}`, {
      method,
      headers: { authorization, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  const purge = async (name: string) =>
    expect((await broker('DELETE', `${encodeURIComponent(name)}/contents`)).ok).toBe(true);

  const health = async () => (await call<HealthReport>(fleet.api, fleet.auth, 'GET', '/v1/health')).body;
  const finding = (check: string) => async (): Promise<Finding | undefined> =>
    (await health()).findings.find((f) => f.check === check);
  const received = () => `slack ${JSON.stringify(slack.received)}; webhook ${JSON.stringify(hook.received)}`;
  const until = <T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 45_000) =>
    eventually(what, check, { timeoutMs, everyMs: 300, context: received });
  const both = (n: number) => () =>
    slack.received.length >= n && hook.received.length >= n
      ? ([slack.received[n - 1], hook.received[n - 1]] as const)
      : undefined;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    slack = await startWebhookReceiver<SlackMessage>();
    hook = await startWebhookReceiver<WebhookMessage>();
    process.env[SLACK_URL] = slack.url;
    process.env[HOOK_URL] = hook.url;
    const worker = {
      apiVersion: 'switchyard.dev/v1',
      kind: 'Worker',
      name: 'encoder',
      team: 'media',
      product: 'vod',
      costCenter: 'cc-2',
      command: ['node', join(REPO_ROOT, 'examples/video-platform/apps/encoding-worker.mjs')],
      version: '1.0.0',
      queue: { name: queue },
      // Nobody consumes: no replica and no autoscaler, so what is published waits.
      normal: { cpu: '100m', memory: '128Mi', timeout: '1s', replicas: { min: 0, max: 1 } },
      fallback: { cpu: '200m', memory: '256Mi', timeout: '5s', replicas: { min: 0, max: 1 } },
    };
    fleet = await startTestFleet({
      files: { 'services/encoder.yaml': stringify(worker) },
      environment: {
        alerts: {
          url: 'https://switchyard.test',
          repeat: '1h',
          rules: [
            {
              name: 'queues-fast',
              checks: ['worker-dead-letters', 'worker-backlog-age'],
              severity: 'warning',
              for: '1s',
            },
          ],
          receivers: [
            { name: 'ops-slack', type: 'slack', urlFrom: SLACK_URL },
            { name: 'pager', type: 'webhook', urlFrom: HOOK_URL },
          ],
        },
      },
      alertsEveryMs: 300,
      alertsRetryMs: 200,
      workers: {
        env: { SWITCHYARD_AMQP_URL: env('SWITCHYARD_TEST_AMQP_URL') },
        readings: new RabbitMqManagementDepth(env('SWITCHYARD_TEST_RABBIT_MGMT_URL'), '/', 2_000),
      },
    });
    // The SDK declares the worker's queues as a worker would.
    sdk = new RabbitMqQueue({
      url: env('SWITCHYARD_TEST_AMQP_URL'),
      topology: { queue, fallbackQueue: `${queue}.fallback`, deadLetterQueue: deadLetters, deliveryLimit: 5 },
      log: createLogger({ service: 'encoder', role: 'test' }),
    });
    await sdk.start();
  });

  afterAll(async () => {
    await sdk?.close();
    for (const q of [queue, `${queue}.fallback`, deadLetters])
      await broker('DELETE', encodeURIComponent(q)).catch(() => undefined);
    await fleet?.stop();
    await slack?.close();
    await hook?.close();
    delete process.env[SLACK_URL];
    delete process.env[HOOK_URL];
  });

  it('finds nothing while the queues are empty', async () => {
    // Health has read the empty dead-letter queue (the management API's figures are at most 5 s old).
    await sleep(7_000);
    const report = await health();
    expect(report.findings.filter((f) => f.unit === 'encoder' || f.unit === 'broker')).toEqual([]);
    expect(slack.received).toEqual([]);
  });

  it('raises worker-dead-letters for a flooded dead-letter queue, notifies each receiver once, then resolved once', async () => {
    for (let i = 0; i < FLOOD; i++) {
      const envelope = { id: `clip-${i}`, payload: { clip: `clip-${i}.raw` }, history: [] };
      await sdk.deadLetter({
        body: Buffer.from(JSON.stringify(envelope)),
        headers: {
          [HEADER.taskId]: envelope.id,
          [HEADER.code]: 'SWY_WORKER_PAYLOAD_INVALID',
          [HEADER.reason]: 'SWY_WORKER_PAYLOAD_INVALID: clip is not a file name',
        },
        messageId: envelope.id,
      });
    }
    const found = await until('worker-dead-letters in health', finding('worker-dead-letters'));
    expect(found).toMatchObject({
      severity: 'warning',
      unit: 'encoder',
      part: 'dead-letter',
      objects: [`queue/${deadLetters}`],
    });
    expect(found.message).toMatch(
      new RegExp(`^encoder: ${FLOOD} tasks dead-lettered in the last \\d+s \\(${deadLetters} holds ${FLOOD}\\)$`),
    );
    expect(found.hint).toContain(`/api/queues/%2F/${deadLetters}/get`);

    // The hint's way of looking: the messages stay, each with its reason and when it was dead-lettered.
    const peek = (await (
      await broker('POST', `${deadLetters}/get`, { count: 1, ackmode: 'ack_requeue_true', encoding: 'auto' })
    ).json()) as {
      properties: { timestamp?: number; headers: Record<string, unknown> };
    }[];
    expect(peek[0]?.properties.headers['x-switchyard-reason']).toBe(
      'SWY_WORKER_PAYLOAD_INVALID: clip is not a file name',
    );
    expect(Math.abs((peek[0]?.properties.timestamp ?? 0) - Date.now() / 1000)).toBeLessThan(120);

    const [s, w] = await until('the firing notifications', both(1));
    expect(s?.text.split('\n')[0]).toBe('[FIRING] sandbox/encoder: 1 warning');
    expect(s?.text).toContain('worker-dead-letters dead-letter');
    expect(w).toMatchObject({
      status: 'firing',
      service: 'encoder',
      findings: [{ check: 'worker-dead-letters', part: 'dead-letter' }],
    });

    const metrics = await fetch(`${fleet.api}/metrics`).then((r) => r.text());
    expect(promtoolProblems(metrics)).toBe('');
    expect(metrics).toContain(
      'switchyard_health_check_findings{check="worker-dead-letters",severity="warning",environment="sandbox"} 1\n',
    );

    await purge(deadLetters);
    const [rs, rw] = await until('the resolved notifications', both(2));
    expect(rs?.text.split('\n')[0]).toBe('[RESOLVED] sandbox/encoder');
    expect(rw).toMatchObject({ status: 'resolved', service: 'encoder' });
    expect(await finding('worker-dead-letters')()).toBeUndefined();
    await sleep(2_000);
    expect([slack.received.length, hook.received.length]).toEqual([2, 2]);
  });

  it('raises worker-backlog-age when the oldest waiting task waits past 10 × the class timeout, then resolved', async () => {
    const producer = await createTaskProducer({
      queue,
      service: 'encoder',
      brokerUrl: env('SWITCHYARD_TEST_AMQP_URL'),
      metricsPort: false,
    });
    const published = Date.now();
    for (let i = 0; i < 3; i++) await producer.submit({ clip: `late-${i}.raw` }, { id: `late-${i}` });
    await producer.close();

    const found = await until('worker-backlog-age in health', finding('worker-backlog-age'));
    // The limit is 10 s (10 × 1 s): it cannot be found before the tasks waited that long.
    expect(Date.now() - published).toBeGreaterThan(10_000);
    expect(found).toMatchObject({ severity: 'warning', unit: 'encoder', part: 'normal', objects: [`queue/${queue}`] });
    expect(found.message).toMatch(
      /^encoder\/normal: the oldest of 3 waiting tasks has waited \d+s, past 10s \(10 × the class's 1s timeout\)$/,
    );

    const [s, w] = await until('the firing notifications', both(3));
    expect(s?.text.split('\n')[0]).toBe('[FIRING] sandbox/encoder: 1 warning');
    expect(s?.text).toContain('worker-backlog-age normal');
    expect(w).toMatchObject({ status: 'firing', findings: [{ check: 'worker-backlog-age', part: 'normal' }] });

    await purge(queue);
    const [rs, rw] = await until('the resolved notifications', both(4));
    expect(rs?.text.split('\n')[0]).toBe('[RESOLVED] sandbox/encoder');
    expect(rw).toMatchObject({ status: 'resolved' });
    await sleep(2_000);
    expect([slack.received.length, hook.received.length]).toEqual([4, 4]);
  });

  it('raises worker-task-kills when tasks keep being taken back from workers that die holding them', async () => {
    const producer = await createTaskProducer({
      queue,
      service: 'encoder',
      brokerUrl: env('SWITCHYARD_TEST_AMQP_URL'),
      metricsPort: false,
    });
    await producer.submit({ clip: 'poison.raw' }, { id: 'poison' });
    await producer.close();
    // A worker takes the task and its connection dies before it answers (killed for memory), four times.
    for (let i = 0; i < 4; i++) {
      const dying = new RabbitMqQueue({
        url: env('SWITCHYARD_TEST_AMQP_URL'),
        topology: { queue, fallbackQueue: `${queue}.fallback`, deadLetterQueue: deadLetters, deliveryLimit: 5 },
        log: createLogger({ service: 'encoder', role: 'dying worker' }),
      });
      await dying.start();
      const taken = new Promise<number>((resolve) => void dying.consume(queue, 1, (d) => resolve(d.deliveryCount)));
      expect(await taken).toBe(i);
      await dying.close();
    }
    const found = await until('worker-task-kills in health', finding('worker-task-kills'));
    expect(found).toMatchObject({ severity: 'warning', unit: 'encoder', part: 'normal', objects: [`queue/${queue}`] });
    expect(found.message).toMatch(/^encoder\/normal: tasks were taken back from dying workers 3 times in the last /);
    await purge(queue);
  });
});

describe('a broker out of reach', () => {
  it('is a reading of its own, naming where it was read without credentials, never a failed evaluation', async () => {
    const port = await freePort('127.0.0.1');
    const watch = new BrokerWatch(new RabbitMqManagementDepth(`http://guest:secret@127.0.0.1:${port}`, '/', 1_000));
    const reading = await watch.read(new Date());
    expect(reading).toMatchObject({ reachable: false, at: `http://127.0.0.1:${port}` });
    expect(reading.reachable ? '' : reading.error).toContain('ECONNREFUSED');
    expect(JSON.stringify(reading)).not.toContain('secret');
  });
});
