import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createObjectStore, createTaskProducer, RabbitMqDepth, resolveConfig } from '@switchyard/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFleet } from '../../config-dir/index.js';
import { REPO_ROOT, writeConfig } from '../../../test/support/cli.js';
import { LocalRuntime, type RuntimeEvent } from '../index.js';

/** The example encoding worker on the local runtime: its fallback class exists only when needed. */

function env(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is not set: start RabbitMQ with test/infra/up rabbitmq and source /tmp/switchyard/infra.env`,
    );
  return value;
}

describe('workers on the local runtime', () => {
  let runtime: LocalRuntime;
  let dataDir: string;
  const events: RuntimeEvent[] = [];
  const queue = `encode-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    const worker = {
      kind: 'Worker',
      name: 'encoder',
      team: 'media',
      product: 'vod',
      costCenter: 'cc-2',
      command: ['node', join(REPO_ROOT, 'examples/video-platform/apps/encoding-worker.mjs')],
      version: '1.0.0',
      queue: { name: queue, prefetch: 1 },
      normal: { cpu: '500m', memory: '256Mi', timeout: '20s', replicas: { min: 1, max: 3 } },
      fallback: { cpu: '1', memory: '512Mi', timeout: '60s', replicas: { min: 0, max: 2 } },
      scaling: { tasksPerReplica: 5, cooldown: '5s' },
    };
    const dir = await writeConfig({
      'services/encoder.yaml': stringify(worker),
      'environments/sandbox.yaml': stringify({ kind: 'Environment', name: 'sandbox', runtime: 'local' }),
    });
    dataDir = await mkdtemp(join(tmpdir(), 'sy-workers-'));
    runtime = new LocalRuntime({
      fleet: await loadFleet(dir, 'sandbox'),
      dataDir,
      onEvent: (e) => events.push(e),
      workers: {
        env: { SWITCHYARD_AMQP_URL: env('SWITCHYARD_TEST_AMQP_URL') },
        depth: new RabbitMqDepth({
          amqpUrl: env('SWITCHYARD_TEST_AMQP_URL'),
          managementUrl: env('SWITCHYARD_TEST_RABBIT_MGMT_URL'),
        }),
        autoscaleIntervalMs: 500,
      },
    });
    await runtime.start();
    await runtime.lead();
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  it('runs the normal class, wakes the fallback class for escalated tasks, and lets it go back to zero', async () => {
    expect((await runtime.workerStatus()).map((w) => [w.workerClass, w.desired])).toEqual([
      ['normal', 1],
      ['fallback', 0],
    ]);
    const storage = `file://${join(dataDir, 'objects', 'encoder')}`;
    const options = {
      queue,
      service: 'encoder',
      metricsPort: false as const,
      brokerUrl: env('SWITCHYARD_TEST_AMQP_URL'),
      storage,
    };
    const store = createObjectStore(resolveConfig(options).storage);
    const producer = await createTaskProducer(options);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const clip = `clip-${i}.raw`;
      await store.put(`uploads/${clip}`, randomBytes(64 * 1024));
      // Every sixth clip is too big for the normal class.
      ids.push(await producer.submit({ clip, passes: i % 6 === 5 ? 5000 : 10 }, { id: `task-${i}` }));
    }
    await producer.close();
    await store.close();
    const outputs = () =>
      ids.filter((id) => existsSync(join(dataDir, 'objects', 'encoder', 'encoded', `${id}.bin`))).length;
    const deadline = Date.now() + 180_000;
    while (outputs() < ids.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    expect(outputs()).toBe(ids.length);
    expect(
      events.some((e) => e.type === 'worker-scaled' && e.workerClass === 'fallback' && e.from === 0 && e.to >= 1),
    ).toBe(true);
    const back = Date.now() + 60_000;
    while ((await runtime.workerStatus()).find((w) => w.workerClass === 'fallback')?.desired !== 0 && Date.now() < back)
      await new Promise((r) => setTimeout(r, 500));
    expect((await runtime.workerStatus()).find((w) => w.workerClass === 'fallback')?.desired).toBe(0);
  });
});
