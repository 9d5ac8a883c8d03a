import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { connect, type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib';

/** The real dependencies started by test/infra; a missing variable fails the suite loudly. */
export function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is not set: run \`test/infra/up && . "\${SWITCHYARD_RUN:-/tmp/switchyard}/infra.env"\` first (test/run does it)`,
    );
  return value;
}

export const infra = {
  amqpUrl: () => required('SWITCHYARD_TEST_AMQP_URL'),
  mgmtUrl: () => required('SWITCHYARD_TEST_RABBIT_MGMT_URL'),
  rabbitRestart: () => required('SWITCHYARD_TEST_RABBIT_RESTART'),
  s3Endpoint: () => required('SWITCHYARD_TEST_S3_ENDPOINT'),
  s3AccessKey: () => required('SWITCHYARD_TEST_S3_ACCESS_KEY'),
  s3SecretKey: () => required('SWITCHYARD_TEST_S3_SECRET_KEY'),
  s3Region: () => process.env.SWITCHYARD_TEST_S3_REGION ?? 'us-east-1',
  minioStop: () => required('SWITCHYARD_TEST_MINIO_STOP'),
  minioStart: () => required('SWITCHYARD_TEST_MINIO_START'),
  redisUrl: () => required('SWITCHYARD_TEST_REDIS_URL'),
};

/** A name no other run uses: queues and buckets of concurrent runs never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export function s3Client(): S3Client {
  return new S3Client({
    region: infra.s3Region(),
    endpoint: infra.s3Endpoint(),
    forcePathStyle: true,
    credentials: { accessKeyId: infra.s3AccessKey(), secretAccessKey: infra.s3SecretKey() },
  });
}

/** A fresh bucket with versioning on, so that any overwrite of an output leaves a trace. */
export async function createBucket(s3: S3Client, name: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }));
}

/** Every version of every key under a prefix: key → number of versions (delete markers count). */
export async function versionsByKey(s3: S3Client, bucket: string, prefix: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  for (;;) {
    const page = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: prefix,
        KeyMarker: keyMarker,
        VersionIdMarker: versionMarker,
        MaxKeys: 1000,
      }),
    );
    for (const v of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])])
      out.set(v.Key as string, (out.get(v.Key as string) ?? 0) + 1);
    if (!page.IsTruncated) return out;
    keyMarker = page.NextKeyMarker;
    versionMarker = page.NextVersionIdMarker;
  }
}

export async function readObject(s3: S3Client, bucket: string, key: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await out.Body?.transformToString('utf8')) ?? '';
}

/** Runs `fn` over items with at most `limit` at once. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T);
      }
    }),
  );
  return out;
}

const exec = promisify(execFile);

/** Runs one of test/infra's command variables (a shell command string). */
export async function runInfraCommand(command: string): Promise<void> {
  await exec('sh', ['-c', command], { timeout: 240_000 });
}

export interface Broker {
  readonly model: ChannelModel;
  /** A confirm channel: `await channel.waitForConfirms()` after publishing. */
  readonly channel: ConfirmChannel;
  close(): Promise<void>;
}

export async function broker(): Promise<Broker> {
  const model = await connect(infra.amqpUrl());
  const channel = await model.createConfirmChannel();
  return { model, channel, close: () => model.close().catch(() => undefined) };
}

/** Takes every message of a queue (acknowledging it) and returns headers and body. */
export async function drainQueue(
  channel: Channel,
  queue: string,
): Promise<Array<{ headers: Record<string, unknown>; body: Buffer }>> {
  const out: Array<{ headers: Record<string, unknown>; body: Buffer }> = [];
  for (;;) {
    const msg = await channel.get(queue, { noAck: true });
    if (!msg) return out;
    out.push({ headers: (msg.properties.headers ?? {}) as Record<string, unknown>, body: msg.content });
  }
}

/** Messages in a queue, ready + unacknowledged, from the broker itself (passive declare). */
export async function queueLength(channel: Channel, queue: string): Promise<number> {
  const ok = await channel.checkQueue(queue);
  return ok.messageCount;
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  everyMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
