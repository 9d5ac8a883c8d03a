import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { OutputBody } from './port.js';

/** A body already written to a local file, with its length and checksum. */
export class SpooledFile {
  constructor(
    readonly path: string,
    readonly sha256: string,
    readonly bytes: number,
    private readonly remove: string,
  ) {}

  async cleanup(): Promise<void> {
    if (this.remove !== this.path) return rm(this.remove, { recursive: true, force: true });
    // A file of its own: one unlink, no directory walk.
    try {
      await unlink(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

export function toBuffer(body: string | Uint8Array): Buffer {
  return typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

export function isInMemory(body: OutputBody): body is string | Uint8Array {
  return typeof body === 'string' || body instanceof Uint8Array;
}

/** Any output body as a stream of its bytes: in memory, spooled to a file, or already a stream. */
export function bodyStream(body: OutputBody): Readable {
  if (isInMemory(body)) return Readable.from([toBuffer(body)]);
  if (body instanceof SpooledFile) return createReadStream(body.path);
  return Readable.from(body as AsyncIterable<Uint8Array>);
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Streams a body to a temporary file while hashing it, so an output of any size is written
 * with a known length and checksum without holding it in memory.
 */
export async function spool(body: OutputBody, dir?: string): Promise<SpooledFile> {
  const base = dir ?? (await mkdtemp(join(tmpdir(), 'swy-out-')));
  const path = join(base, `part-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  if (isInMemory(body)) {
    // Bytes already in memory: one write, no stream machinery.
    const data = toBuffer(body);
    await writeFile(path, data);
    return new SpooledFile(path, sha256(data), data.byteLength, dir ? path : base);
  }
  const hash = createHash('sha256');
  let bytes = 0;
  await pipeline(
    bodyStream(body),
    async function* (chunks: AsyncIterable<Uint8Array | string>) {
      for await (const chunk of chunks) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        hash.update(buf);
        bytes += buf.byteLength;
        yield buf;
      }
    },
    createWriteStream(path),
  );
  return new SpooledFile(path, hash.digest('hex'), bytes, dir ? path : base);
}
