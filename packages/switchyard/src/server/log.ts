import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino, type Logger } from 'pino';

/** The API's log in the data directory's logs/: refusals and unexpected failures, one JSON line each. */
export const API_LOG = 'api.log';

/**
 * Written synchronously: the line of a failure is on disk before its answer leaves, so the
 * request id a caller quotes is always found. The log holds no request bodies or tokens.
 */
export function apiLogger(file: string): Logger {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  return pino(
    { level: 'info', base: { component: 'api' }, redact: ['req.headers.authorization'] },
    pino.destination({ dest: file, sync: true, mode: 0o600 }),
  );
}
