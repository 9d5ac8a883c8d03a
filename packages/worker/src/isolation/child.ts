import { createReadStream } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { WORKER_ENV } from '../contract/index.js';
import type { TaskContext, WorkerDefinition } from '../definition.js';
import { isWorkerError, TooBigForClass, WorkerError, workerCatalogue } from '../errors/index.js';
import { createLogger } from '../observability/log.js';
import { SpooledFile, toBuffer } from '../storage/index.js';
import { END_FRAME, frame, FrameDecoder } from './frames.js';
import { DATA_SOCKET_ENV, handshake, INLINE_OUTPUT_BYTES, type ChildMessage, type ChildOutcome, type RunMessage } from './protocol.js';

function send(message: ChildMessage): void {
  process.send?.(message);
}

function dataSocket(): Socket {
  const path = process.env[DATA_SOCKET_ENV];
  if (!path) throw new WorkerError('SWY_WORKER_INTERNAL', { message: `${DATA_SOCKET_ENV} is not set in the task process` });
  return connect({ path, allowHalfOpen: true });
}

function openInput(token: string, key: string | undefined): Readable {
  if (key === undefined) throw new WorkerError('SWY_WORKER_INTERNAL', { message: 'this task has no input: declare `input` in defineWorker' });
  const socket = dataSocket();
  socket.end(handshake(token, 'in', key));
  const decoded = new FrameDecoder('input');
  socket.on('error', (err) => decoded.destroy(err));
  return socket.pipe(decoded);
}

async function sendOutput(token: string, body: unknown): Promise<void> {
  const socket = dataSocket();
  socket.write(handshake(token, 'out'));
  const source =
    body === undefined || body === null
      ? Readable.from([])
      : typeof body === 'string' || body instanceof Uint8Array
        ? Readable.from([Buffer.from(body as Uint8Array)])
        : body instanceof SpooledFile
          ? createReadStream(body.path)
          : Readable.from(body as AsyncIterable<Uint8Array>);
  await pipeline(
    source,
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
function inlineOutput(body: unknown): string | undefined {
  if (body === undefined || body === null) return '';
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) return undefined;
  const bytes = toBuffer(body);
  return bytes.byteLength <= INLINE_OUTPUT_BYTES ? bytes.toString('base64') : undefined;
}

/** How a handler's error maps onto the escalation ladder. */
export function classifyError(err: unknown): ChildOutcome {
  if (err instanceof TooBigForClass) return { kind: 'too-big', code: err.code, reason: err.message };
  if (err instanceof z.ZodError || (err as Error | undefined)?.name === 'ZodError') return { kind: 'permanent', code: 'SWY_WORKER_PAYLOAD_INVALID', reason: z.prettifyError(err as z.ZodError).replace(/\n/g, '; ') };
  if (isWorkerError(err)) {
    const kind = workerCatalogue[err.code].kind;
    if (kind === 'input') return { kind: 'permanent', code: err.code, reason: err.message };
    if (kind === 'limit') return { kind: 'too-big', code: err.code, reason: err.message };
    return { kind: 'transient', code: err.code, reason: err.message };
  }
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return { kind: 'transient', code: 'SWY_WORKER_HANDLER_FAILED', reason: message };
}

async function runOne(definition: WorkerDefinition, message: RunMessage, log: ReturnType<typeof createLogger>): Promise<void> {
  let outcome: ChildOutcome;
  try {
    const payload: unknown = definition.payload.parse(message.payload);
    const inputKey = definition.input?.(payload);
    const ctx: TaskContext = {
      taskId: message.taskId,
      workerClass: message.workerClass,
      attempt: message.attempt,
      progress: (ratio, note) => send({ type: 'progress', token: message.token, ratio, ...(note === undefined ? {} : { note }) }),
      log: (msg, fields) => log.info(msg, { taskId: message.taskId, ...fields }),
    };
    const body = await definition.handler({ id: message.taskId, payload, inputKey, input: () => openInput(message.token, inputKey) }, ctx);
    const small = inlineOutput(body);
    if (small !== undefined) {
      outcome = { kind: 'done', inline: small };
    } else {
      await sendOutput(message.token, body);
      outcome = { kind: 'done' };
    }
  } catch (err) {
    outcome = classifyError(err);
  }
  send({ type: 'result', token: message.token, outcome });
}

/**
 * The loop of a task process: the worker module, loaded again by the pool, serves one task
 * at a time over IPC and leaves as soon as its worker is gone (an orphan never finishes a
 * task: its output could not be recorded anyway).
 */
export function serveTasks(definition: WorkerDefinition): Promise<void> {
  const log = createLogger({ service: definition.service ?? process.env[WORKER_ENV.service.name] ?? 'worker', process: 'task' });
  process.on('disconnect', () => process.exit(0));
  process.on('message', (message: RunMessage) => {
    if (message?.type === 'run') void runOne(definition, message, log);
  });
  send({ type: 'ready' });
  return new Promise(() => undefined);
}
