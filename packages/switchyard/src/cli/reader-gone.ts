import { EXIT } from '../errors/index.js';

/** 128 + SIGPIPE: what a shell reports for a program whose reader went away (`yes | head -1`). */
export const EXIT_READER_GONE = EXIT.readerGone;

/**
 * When the reader of stdout or stderr goes away (`switchyard status | head -1`), Node reports
 * EPIPE as an unhandled stream error, with a stack trace. Instead the CLI stops quietly: a
 * command that stops gracefully on SIGTERM (`up` drains its replicas) is sent one, any
 * other exits at once, and in both cases the exit status is 141, as for any program in a
 * pipeline whose reader left. Other stream errors keep their default behaviour.
 */
export function exitQuietlyWhenReaderGoes(): void {
  let gone = false;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      // After the first EPIPE every write fails the same way; there is no one left to tell.
      if (gone) return;
      if (err.code !== 'EPIPE') throw err;
      gone = true;
      process.exitCode = EXIT_READER_GONE;
      if (process.listenerCount('SIGTERM') > 0) process.kill(process.pid, 'SIGTERM');
      else process.exit(EXIT_READER_GONE);
    });
  }
}
