import { closeSync, openSync, readSync, renameSync, statSync } from 'node:fs';

/** A replica's log grows to this size before it is rotated (one older file kept: `<log>.1`). */
export const LOG_ROTATE_BYTES = 10 * 2 ** 20;

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Opens a replica's log for appending, rotating it first when it has reached `maxBytes`: a
 * replica restarted a thousand times keeps writing one file (and one older one), never a file
 * per attempt. Returns the descriptor and the offset this attempt's output starts at.
 */
export function openLog(path: string, maxBytes = LOG_ROTATE_BYTES): { fd: number; offset: number } {
  if (sizeOf(path) >= maxBytes) renameSync(path, `${path}.1`);
  const fd = openSync(path, 'a');
  return { fd, offset: sizeOf(path) };
}

/** What a process printed that says what went wrong: error lines first, never the runtime's banner or stack frames. */
export function errorLines(text: string, count = 3, width = 240): string[] {
  const lines = text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '' && !/^\s+at /.test(l) && !/^Node\.js v\d/.test(l) && l.trim() !== '^');
  const errors = lines.filter((l) => /error|exception|fatal|panic|"level":"(error|warn)"/i.test(l));
  return (errors.length > 0 ? errors : lines)
    .slice(-count)
    .map((l) => (l.length > width ? `${l.slice(0, width)}…` : l));
}

/** The end of what was written to `path` from `offset` on (at most `maxBytes`). */
export function readFrom(path: string, offset: number, maxBytes = 64 * 1024): string {
  const size = sizeOf(path);
  // Rotated since (or truncated): what there is now is this attempt's.
  const start = Math.max(size < offset ? 0 : offset, size - maxBytes);
  if (size <= start) return '';
  const buffer = Buffer.alloc(size - start);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, start);
  } finally {
    closeSync(fd);
  }
  return buffer.toString('utf8');
}
