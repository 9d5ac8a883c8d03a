import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { RabbitMqManagementDepth } from './autoscale/index.js';
import { createTaskProducer } from './producer.js';
import { S3Store } from './storage/index.js';
import { readdirSync } from 'node:fs';
import { readStats } from './stats/index.js';
import {
  broker,
  createBucket,
  drainQueue,
  infra,
  mapLimit,
  readObject,
  s3Client,
  uniqueName,
  versionsByKey,
  waitFor,
} from '../test/support/infra.js';
import { WorkerProcesses } from '../test/support/worker-processes.js';

const TASKS = 10_000;
const KILLS = 20;
// The delivery limit dead-letters a task that keeps killing its workers. Here the kills are
// the test's own: a long task can be in flight at several of them, so the limit is above them.
const DELIVERY_LIMIT = KILLS + 1;
const NORMAL_WORKERS = 4;
const FALLBACK_WORKERS = 2;

/** Every 20th task is heavy: half run past the normal class's time limit, half past its memory. */
function taskPayload(i: number, inputs: number): { kind: string; input?: string; ms?: number; mb?: number } {
  // One task in ten streams an input object (the storage path under chaos); the others are
  // pure compute, which keeps 10,000 tasks within a few minutes on two cores.
  const input = i % 10 === 1 ? `inputs/${i % inputs}` : undefined;
  if (i % 20 !== 0) return input ? { kind: 'small', input } : { kind: 'small' };
  return (i / 20) % 2 === 0 ? { kind: 'slow', ms: 3_000 } : { kind: 'big', mb: 120, ms: 150 };
}

describe('10,000 tasks, 5% too big for the normal class, 20 workers killed with SIGKILL', () => {
  const queue = uniqueName('itest-escalation');
  const logDir = mkdtempSync(join(tmpdir(), 'swy-itest-escalation-'));
  let processes: WorkerProcesses | undefined;

  afterAll(async () => {
    await processes?.stopAll();
    const b = await broker();
    for (const q of [queue, `${queue}.fallback`, `${queue}.dead`])
      await b.channel.deleteQueue(q).catch(() => undefined);
    await b.close();
  });

  it('writes each output exactly once, sends exactly the heavy tasks through the fallback class, and loses none', async () => {
    const s3 = s3Client();
    const bucket = queue;
    await createBucket(s3, bucket);
    const store = new S3Store({
      bucket,
      prefix: 'run',
      endpoint: infra.s3Endpoint(),
      accessKeyId: infra.s3AccessKey(),
      secretAccessKey: infra.s3SecretKey(),
    });
    const inputs = 16;
    for (let i = 0; i < inputs; i++) await store.put(`inputs/${i}`, Buffer.alloc(4096 + i, i));

    processes = new WorkerProcesses(
      {
        SWITCHYARD_SERVICE: 'itest-escalation',
        SWITCHYARD_QUEUE: queue,
        SWITCHYARD_FALLBACK_QUEUE: `${queue}.fallback`,
        SWITCHYARD_DEAD_LETTER_QUEUE: `${queue}.dead`,
        SWITCHYARD_AMQP_URL: infra.amqpUrl(),
        SWITCHYARD_STORAGE_URL: `s3://${bucket}/run`,
        SWITCHYARD_S3_ENDPOINT: infra.s3Endpoint(),
        AWS_ACCESS_KEY_ID: infra.s3AccessKey(),
        AWS_SECRET_ACCESS_KEY: infra.s3SecretKey(),
        SWITCHYARD_METRICS_PORT: '0',
        SWITCHYARD_RETRY_ATTEMPTS: '5',
        SWITCHYARD_RETRY_INITIAL_DELAY: '200ms',
        SWITCHYARD_RETRY_MAX_DELAY: '2s',
        SWITCHYARD_DELIVERY_LIMIT: String(DELIVERY_LIMIT),
      },
      logDir,
    );
    // Normal 2 s / 128 MiB, fallback 10 s / 512 MiB: heavy tasks take 3 s or ~190 MiB resident.
    const normalEnv = {
      SWITCHYARD_PREFETCH: '4',
      SWITCHYARD_TASK_TIMEOUT: '2s',
      SWITCHYARD_TASK_MEMORY_BYTES: String(128 * 2 ** 20),
    };
    const fallbackEnv = {
      SWITCHYARD_PREFETCH: '8',
      SWITCHYARD_TASK_TIMEOUT: '10s',
      SWITCHYARD_TASK_MEMORY_BYTES: String(512 * 2 ** 20),
    };
    const spawnOne = (cls: 'normal' | 'fallback') => processes!.spawn(cls, cls === 'normal' ? normalEnv : fallbackEnv);
    const started = [
      ...Array.from({ length: NORMAL_WORKERS }, () => spawnOne('normal')),
      ...Array.from({ length: FALLBACK_WORKERS }, () => spawnOne('fallback')),
    ];
    await Promise.all(started.map((p) => p.ready));

    const producer = await createTaskProducer({
      brokerUrl: infra.amqpUrl(),
      queue,
      fallbackQueue: `${queue}.fallback`,
      deadLetterQueue: `${queue}.dead`,
      deliveryLimit: DELIVERY_LIMIT,
      storage: 'file:///unused',
    });
    const ids = Array.from({ length: TASKS }, (_, i) => `task-${String(i).padStart(5, '0')}`);
    await mapLimit(ids, 64, (id) => producer.submit(taskPayload(Number(id.slice(5)), inputs), { id }));
    await producer.close();

    // Chaos: kill -9 a random worker (either class) at random moments, and replace it.
    let kills = 0;
    const chaos = (async () => {
      while (kills < KILLS) {
        await sleep(500 + Math.random() * 2_500);
        const alive = processes!.alive().filter((p) => !p.draining);
        const victim = alive[Math.floor(Math.random() * alive.length)];
        if (!victim) continue;
        await processes!.kill9(victim);
        kills++;
        spawnOne(victim.workerClass);
      }
    })();

    const depth = new RabbitMqManagementDepth(infra.mgmtUrl());
    let outputs = new Map<string, number>();
    await waitFor(
      'every output',
      async () => {
        const [main, fallback] = await Promise.all([depth.depth(queue), depth.depth(`${queue}.fallback`)]);
        if (main.ready + main.unacked + fallback.ready + fallback.unacked > 50) return false;
        outputs = await versionsByKey(s3, bucket, 'run/outputs/');
        return outputs.size >= TASKS;
      },
      840_000,
      3_000,
    );
    await chaos;
    await processes.stopAll();

    // Every output once, and never overwritten: the bucket keeps every version it was given.
    expect(outputs.size).toBe(TASKS);
    expect([...outputs.entries()].filter(([, versions]) => versions !== 1)).toEqual([]);
    expect(kills).toBe(KILLS);

    // Exactly the heavy tasks were finished by the fallback class; the small ones by the normal class.
    // The class that wrote each output: which worker processes (one stats file each, named by
    // class) recorded a winning write of it; read from the object itself when the writer was
    // killed between writing and recording.
    const writerClass = new Map<string, string>();
    for (const file of readdirSync(logDir).filter((f) => f.startsWith('stats-'))) {
      const cls = file.split('-')[1] as string;
      for (const st of await readStats([join(logDir, file)]))
        if (st.outcome === 'done') writerClass.set(st.taskId, cls);
    }
    const classes = await mapLimit(ids, 32, async (id) => {
      const known = writerClass.get(id);
      if (known) return known;
      const [taskId, cls] = (await readObject(s3, bucket, `run/outputs/${id}`)).split(' ');
      expect(taskId).toBe(id);
      return cls;
    });
    const viaFallback = ids.filter((_, i) => classes[i] === 'fallback');
    const heavy = ids.filter((id) => Number(id.slice(5)) % 20 === 0);
    expect(heavy.filter((id) => !viaFallback.includes(id))).toEqual([]);
    expect(viaFallback.length / TASKS).toBeGreaterThanOrEqual(0.05);
    expect(viaFallback.length / TASKS).toBeLessThan(0.055);

    const b = await broker();
    const dead = await drainQueue(b.channel, `${queue}.dead`);
    await b.close();
    expect(dead.map((m) => m.headers['x-switchyard-reason'] ?? m.headers['x-first-death-reason'])).toEqual([]);
  }, 900_000);
});
