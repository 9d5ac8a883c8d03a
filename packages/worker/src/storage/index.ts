import { fileURLToPath } from 'node:url';
import type { StorageConfig } from '../config/index.js';
import { LocalDirectoryStore } from './local.js';
import type { ObjectStore } from './port.js';
import { S3Store } from './s3.js';
import { WorkerError } from '../errors/index.js';

export { LocalDirectoryStore } from './local.js';
export {
  ObjectNotFound,
  StorageUnavailable,
  type ObjectStore,
  type OutputBody,
  type PutResult,
  type StoredObject,
} from './port.js';
export { S3Store, type S3StoreOptions } from './s3.js';
export { bodyStream, spool, SpooledFile, toBuffer } from './spool.js';

/** `s3://bucket/prefix` → S3 (MinIO with an endpoint); `file:///path` → a local directory. */
export function createObjectStore(config: StorageConfig): ObjectStore {
  const url = new URL(config.url);
  if (url.protocol === 'file:') return new LocalDirectoryStore(fileURLToPath(url));
  if (url.protocol === 's3:') {
    return new S3Store({
      bucket: url.hostname,
      prefix: decodeURIComponent(url.pathname.replace(/^\/+/, '')),
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(config.region ? { region: config.region } : {}),
      ...(config.accessKeyId ? { accessKeyId: config.accessKeyId } : {}),
      ...(config.secretAccessKey ? { secretAccessKey: config.secretAccessKey } : {}),
    });
  }
  throw new WorkerError('SWY_WORKER_CONFIG', {
    message: `The storage URL ${config.url} is neither s3:// nor file://`,
    hint: 'Set SWITCHYARD_STORAGE_URL to s3://bucket/prefix or file:///path.',
  });
}
