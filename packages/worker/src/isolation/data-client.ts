import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WorkerError } from '../errors/index.js';
import { bodyStream, toBuffer, type OutputBody } from '../storage/index.js';
import { END_FRAME, frame, FrameDecoder } from './frames.js';
import { DATA_SOCKET_ENV, handshake, INLINE_OUTPUT_BYTES } from './protocol.js';

/** The task process's end of the data channel (the worker's end is data-channel.ts). */

function dataSocket(): Socket {
  const path = process.env[DATA_SOCKET_ENV];
  if (!path)
    throw new WorkerError('SWY_WORKER_INTERNAL', { message: `${DATA_SOCKET_ENV} is not set in the task process` });
  return connect({ path, allowHalfOpen: true });
}

/** Streams the task's input object from the worker, which reads it from storage. */
export function openInput(token: string, key: string | undefined): Readable {
  if (key === undefined)
    throw new WorkerError('SWY_WORKER_INTERNAL', {
      message: 'this task has no input: declare `input` in defineWorker',
    });
  const socket = dataSocket();
  socket.end(handshake(token, 'in', key));
  const decoded = new FrameDecoder('input');
  socket.on('error', (err) => decoded.destroy(err));
  return socket.pipe(decoded);
}

/** Streams the handler's output to the worker, which spools it before writing it once. */
export async function sendOutput(token: string, body: unknown): Promise<void> {
  const socket = dataSocket();
  socket.write(handshake(token, 'out'));
  await pipeline(
    body === undefined || body === null ? Readable.from([]) : bodyStream(body as OutputBody),
    async function* (chunks: AsyncIterable<Uint8Array | string>) {
      for await (const chunk of chunks) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        if (buf.byteLength) yield frame(buf);
      }
      yield END_FRAME;
    },
    socket,
  );
}

/** A small in-memory output rides in the result message (base64): no socket, no spooling. */
export function inlineOutput(body: unknown): string | undefined {
  if (body === undefined || body === null) return '';
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) return undefined;
  const bytes = toBuffer(body);
  return bytes.byteLength <= INLINE_OUTPUT_BYTES ? bytes.toString('base64') : undefined;
}
