import { createHash } from 'node:crypto';
import { closeSync, createReadStream, linkSync, openSync, unlinkSync, writeFileSync } from 'node:fs';
import { link, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { ObjectNotFound, type ObjectStore, type OutputBody, type PutResult, type StoredObject } from './port.js';
import { isInMemory, sha256, spool, SpooledFile, toBuffer } from './spool.js';
import { WorkerError } from '../errors/index.js';

/**
 * In-memory outputs up to this size are written with synchronous calls: a handful of
 * microseconds on the event loop instead of five round trips through libuv's thread pool,
 * which for small outputs cost more than the task itself.
 */
const SYNC_WRITE_BYTES = 64 * 1024;

const EMPTY_SHA256 = sha256(Buffer.alloc(0));

/**
 * A temporary file nobody has written to for this long was left by a writer that died (killed
 * mid-output): it is removed when a store opens. Clock-based rather than by process id, so a
 * directory shared by several machines is safe.
 */
export const ABANDONED_AFTER_MS = 60 * 60 * 1000;

/**
 * A directory as object storage: the embedded default. Write-once is a hard link from a
 * fully written temporary file to the final name, which the kernel refuses (EEXIST) when the
 * name exists: the first complete output wins and is never replaced.
 */
export class LocalDirectoryStore implements ObjectStore {
  private readonly root: string;
  private readonly tmp: string;
  private readonly made = new Set<string>();
  private sequence = 0;

  constructor(root: string) {
    this.root = resolve(root);
    this.tmp = join(this.root, '.tmp');
  }

  private path(key: string): string {
    const full = resolve(this.root, key);
    if (!full.startsWith(this.root + sep) || full.startsWith(this.tmp + sep))
      throw new WorkerError('SWY_WORKER_PAYLOAD_INVALID', {
        message: `The object key ${JSON.stringify(key)} escapes the storage directory`,
        hint: "Name objects by keys inside the worker's storage (no .., no absolute paths).",
      });
    return full;
  }

  async open(): Promise<void> {
    await this.sweep();
  }

  /** Removes temporary files abandoned by writers that died; returns how many. */
  async sweep(now = Date.now()): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.tmp);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names) {
      if (!name.startsWith('part-')) continue;
      const path = join(this.tmp, name);
      try {
        if (now - (await stat(path)).mtimeMs < ABANDONED_AFTER_MS) continue;
        await rm(path, { force: true });
        removed++;
      } catch {
        // Gone already (its writer finished, or another worker swept it).
      }
    }
    return removed;
  }

  async read(key: string): Promise<Readable> {
    const path = this.path(key);
    try {
      await stat(path);
    } catch {
      throw new ObjectNotFound(key);
    }
    return createReadStream(path);
  }

  async head(key: string): Promise<StoredObject | undefined> {
    const path = this.path(key);
    try {
      const st = await stat(path);
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
      return { bytes: st.size, sha256: hash.digest('hex') };
    } catch {
      return undefined;
    }
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.made.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.made.add(dir);
  }

  async putIfAbsent(key: string, body: OutputBody): Promise<PutResult> {
    const path = this.path(key);
    await this.ensureDir(this.tmp);
    await this.ensureDir(dirname(path));
    const bytes = isInMemory(body) ? toBuffer(body) : undefined;
    if (bytes && bytes.byteLength <= SYNC_WRITE_BYTES) return this.putSmall(key, path, bytes);
    // A hard link needs the file on this directory's file system: spool here unless it already is.
    const owned = !(body instanceof SpooledFile && body.path.startsWith(this.tmp + sep));
    const part = !owned && body instanceof SpooledFile ? body : await spool(body, this.tmp);
    try {
      await link(part.path, path);
      return { created: true, sha256: part.sha256, bytes: part.bytes };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      return this.keptExisting(key);
    } finally {
      if (owned) await part.cleanup();
    }
  }

  /** The key was there first: its object stays, and the caller learns what it holds. */
  private async keptExisting(key: string): Promise<PutResult> {
    const existing = await this.head(key);
    return { created: false, sha256: existing?.sha256 ?? '', bytes: existing?.bytes ?? 0 };
  }

  private async putSmall(key: string, path: string, data: Buffer): Promise<PutResult> {
    if (data.byteLength === 0) return this.putEmpty(key, path);
    const part = join(this.tmp, `part-${process.pid}-${(this.sequence++).toString(36)}`);
    writeFileSync(part, data, { flag: 'wx' });
    try {
      linkSync(part, path);
      return { created: true, sha256: sha256(data), bytes: data.byteLength };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      return this.keptExisting(key);
    } finally {
      unlinkSync(part);
    }
  }

  /**
   * An empty output (a task that only has side effects: its output is the record that it was
   * done) is complete the moment it exists, so it is created in place, exclusively: one
   * metadata operation, nothing to clean up, and the kernel refuses (EEXIST) a second one.
   */
  private async putEmpty(key: string, path: string): Promise<PutResult> {
    try {
      closeSync(openSync(path, 'wx'));
      return { created: true, sha256: EMPTY_SHA256, bytes: 0 };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return this.keptExisting(key);
      throw err;
    }
  }

  async put(key: string, body: OutputBody): Promise<void> {
    const path = this.path(key);
    await this.ensureDir(this.tmp);
    await this.ensureDir(dirname(path));
    const part = await spool(body, this.tmp);
    await rename(part.path, path);
  }

  async close(): Promise<void> {
    // Nothing held open.
  }
}
