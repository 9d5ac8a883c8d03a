import { createReadStream } from 'node:fs';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import {
  ObjectNotFound,
  StorageUnavailable,
  type ObjectStore,
  type OutputBody,
  type PutResult,
  type StoredObject,
} from './port.js';
import { isInMemory, sha256, spool, SpooledFile, toBuffer } from './spool.js';

export interface S3StoreOptions {
  readonly bucket: string;
  readonly prefix: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
}

const SHA_META = 'sha256';

/**
 * S3 and S3-compatible stores (MinIO). Write-once is a conditional PUT (`If-None-Match: *`):
 * the store creates the key only if it does not exist, atomically, and answers 412 to every
 * later writer. Outputs are spooled to a temporary file first (streamed, hashed, never held
 * whole in memory) so the PUT has a length and the object carries its SHA-256.
 * A single PUT is limited to 5 GiB.
 */
type S3Module = typeof S3Sdk;

export class S3Store implements ObjectStore {
  private loaded?: Promise<{ sdk: S3Module; client: S3Client }>;

  constructor(private readonly options: S3StoreOptions) {}

  /** The AWS SDK is loaded on first use: task processes import this package but never talk to S3. */
  private sdk(): Promise<{ sdk: S3Module; client: S3Client }> {
    this.loaded ??= import('@aws-sdk/client-s3').then((sdk) => ({ sdk, client: this.createClient(sdk) }));
    return this.loaded;
  }

  private createClient(sdk: S3Module): S3Client {
    const options = this.options;
    return new sdk.S3Client({
      region: options.region ?? 'us-east-1',
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      forcePathStyle: true,
      ...(options.accessKeyId && options.secretAccessKey
        ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } }
        : {}),
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 2_000, requestTimeout: 60_000 },
    });
  }

  async open(): Promise<void> {
    await this.sdk();
  }

  private key(key: string): string {
    return this.options.prefix ? `${this.options.prefix.replace(/\/+$/, '')}/${key}` : key;
  }

  async read(key: string): Promise<Readable> {
    const { sdk, client } = await this.sdk();
    try {
      const out = await client.send(new sdk.GetObjectCommand({ Bucket: this.options.bucket, Key: this.key(key) }));
      return out.Body as Readable;
    } catch (err) {
      if (status(err) === 404) throw new ObjectNotFound(key);
      throw unavailable('read', key, err);
    }
  }

  async head(key: string): Promise<StoredObject | undefined> {
    const { sdk, client } = await this.sdk();
    try {
      const out = await client.send(new sdk.HeadObjectCommand({ Bucket: this.options.bucket, Key: this.key(key) }));
      return { bytes: out.ContentLength ?? 0, sha256: out.Metadata?.[SHA_META] };
    } catch (err) {
      if (status(err) === 404) return undefined;
      throw unavailable('head', key, err);
    }
  }

  async putIfAbsent(key: string, body: OutputBody): Promise<PutResult> {
    return this.write(key, body, true);
  }

  async put(key: string, body: OutputBody): Promise<void> {
    await this.write(key, body, false);
  }

  private async write(key: string, body: OutputBody, onlyIfAbsent: boolean): Promise<PutResult> {
    const condition = onlyIfAbsent ? { IfNoneMatch: '*' } : {};
    if (isInMemory(body)) {
      const data = toBuffer(body);
      const digest = sha256(data);
      return this.send(
        key,
        { Body: data, ContentLength: data.byteLength, Metadata: { [SHA_META]: digest }, ...condition },
        digest,
        data.byteLength,
      );
    }
    const owned = !(body instanceof SpooledFile);
    const part = body instanceof SpooledFile ? body : await spool(body);
    try {
      return await this.send(
        key,
        {
          Body: createReadStream(part.path),
          ContentLength: part.bytes,
          Metadata: { [SHA_META]: part.sha256 },
          ...condition,
        },
        part.sha256,
        part.bytes,
      );
    } finally {
      if (owned) await part.cleanup();
    }
  }

  private async send(
    key: string,
    input: Omit<PutObjectCommandInput, 'Bucket' | 'Key'>,
    digest: string,
    bytes: number,
  ): Promise<PutResult> {
    const { sdk, client } = await this.sdk();
    try {
      await client.send(new sdk.PutObjectCommand({ Bucket: this.options.bucket, Key: this.key(key), ...input }));
      return { created: true, sha256: digest, bytes };
    } catch (err) {
      // 412: the key exists. 409: another writer is finishing the same key right now.
      const code = status(err);
      if (input.IfNoneMatch && (code === 412 || code === 409)) {
        const existing = await this.head(key);
        return { created: false, sha256: existing?.sha256 ?? '', bytes: existing?.bytes ?? 0 };
      }
      throw unavailable('write', key, err);
    }
  }

  async close(): Promise<void> {
    if (this.loaded) (await this.loaded).client.destroy();
  }
}

function status(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function unavailable(op: string, key: string, err: unknown): Error {
  const code = status(err);
  if (code !== undefined && code < 500 && code !== 408 && code !== 429) return err as Error;
  return new StorageUnavailable(`could not ${op} ${key}: ${(err as Error).message || (err as Error).name}`, {
    cause: err,
  });
}
