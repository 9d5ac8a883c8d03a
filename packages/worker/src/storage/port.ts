import type { Readable } from 'node:stream';
import type { SpooledFile } from './spool.js';

/** What a handler may return as its output: bytes, text, or a stream of bytes. */
export type OutputBody = string | Uint8Array | Readable | AsyncIterable<Uint8Array> | SpooledFile;

export interface StoredObject {
  readonly bytes: number;
  /** Hex SHA-256 of the content, as recorded when it was written. */
  readonly sha256: string | undefined;
}

export interface PutResult {
  /** False when the key already existed: the content was discarded and the existing object kept. */
  readonly created: boolean;
  readonly sha256: string;
  readonly bytes: number;
}

/**
 * Object storage as the SDK needs it. `putIfAbsent` is the write-once primitive that makes a
 * task's output unique: the first writer of a key wins, atomically, and every later writer
 * is told so and leaves the object as it is.
 */
export interface ObjectStore {
  /** Streams an object; throws `SWY_WORKER_INPUT_NOT_FOUND`-style `NotFound` when absent. */
  read(key: string): Promise<Readable>;
  head(key: string): Promise<StoredObject | undefined>;
  putIfAbsent(key: string, body: OutputBody): Promise<PutResult>;
  /** Loads and connects what the first task would otherwise wait for (inside its time limit). */
  open?(): Promise<void>;
  /** Plain (over)write, for producers uploading inputs. */
  put(key: string, body: OutputBody): Promise<void>;
  close(): Promise<void>;
}

/** Raised by adapters when a key does not exist. */
export class ObjectNotFound extends Error {
  constructor(readonly key: string) {
    super(`object ${key} does not exist`);
    this.name = 'ObjectNotFound';
  }
}

/** Raised by adapters when the store cannot be reached or answers with a server error. */
export class StorageUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageUnavailable';
  }
}
