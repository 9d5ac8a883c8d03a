import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { createTaskProducer, type TaskProducer } from '../../src/producer.js';
import { S3Store } from '../../src/storage/index.js';
import { broker, createBucket, infra, s3Client, uniqueName } from './infra.js';
import { WorkerProcesses } from './worker-processes.js';

/** One test's own queue, bucket and worker processes, cleaned up by `dispose`. */
export interface Scenario {
  readonly queue: string;
  readonly bucket: string;
  readonly s3: S3Client;
  readonly store: S3Store;
  readonly processes: WorkerProcesses;
  readonly logDir: string;
  producer(): Promise<TaskProducer>;
  dispose(): Promise<void>;
}

export async function scenario(
  name: string,
  env: Readonly<Record<string, string>> = {},
  keepLines = true,
): Promise<Scenario> {
  const queue = uniqueName(`itest-${name}`);
  const bucket = queue;
  const s3 = s3Client();
  await createBucket(s3, bucket);
  const store = new S3Store({
    bucket,
    prefix: 'run',
    endpoint: infra.s3Endpoint(),
    accessKeyId: infra.s3AccessKey(),
    secretAccessKey: infra.s3SecretKey(),
  });
  const logDir = mkdtempSync(join(tmpdir(), `swy-itest-${name}-`));
  const processes = new WorkerProcesses(
    {
      SWITCHYARD_SERVICE: `itest-${name}`,
      SWITCHYARD_QUEUE: queue,
      SWITCHYARD_FALLBACK_QUEUE: `${queue}.fallback`,
      SWITCHYARD_DEAD_LETTER_QUEUE: `${queue}.dead`,
      SWITCHYARD_AMQP_URL: infra.amqpUrl(),
      SWITCHYARD_STORAGE_URL: `s3://${bucket}/run`,
      SWITCHYARD_S3_ENDPOINT: infra.s3Endpoint(),
      AWS_ACCESS_KEY_ID: infra.s3AccessKey(),
      AWS_SECRET_ACCESS_KEY: infra.s3SecretKey(),
      SWITCHYARD_METRICS_PORT: '0',
      SWITCHYARD_RETRY_INITIAL_DELAY: '200ms',
      SWITCHYARD_RETRY_MAX_DELAY: '2s',
      SWITCHYARD_TASK_TIMEOUT: '20s',
      SWITCHYARD_TASK_MEMORY_BYTES: String(256 * 2 ** 20),
      ...env,
    },
    logDir,
    keepLines,
  );
  const producers: TaskProducer[] = [];
  return {
    queue,
    bucket,
    s3,
    store,
    processes,
    logDir,
    async producer() {
      const p = await createTaskProducer({
        brokerUrl: infra.amqpUrl(),
        queue,
        fallbackQueue: `${queue}.fallback`,
        deadLetterQueue: `${queue}.dead`,
        storage: 'file:///unused',
        ...(env.SWITCHYARD_DELIVERY_LIMIT ? { deliveryLimit: Number(env.SWITCHYARD_DELIVERY_LIMIT) } : {}),
      });
      producers.push(p);
      return p;
    },
    async dispose() {
      await Promise.all(producers.map((p) => p.close().catch(() => undefined)));
      await processes.stopAll();
      await store.close();
      const b = await broker().catch(() => undefined);
      if (b) {
        for (const q of [queue, `${queue}.fallback`, `${queue}.dead`])
          await b.channel.deleteQueue(q).catch(() => undefined);
        await b.close();
      }
    },
  };
}
