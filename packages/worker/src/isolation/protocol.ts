import type { WorkerClassName } from '../config/index.js';
import type { WorkerErrorCode } from '../errors/index.js';

/** Set in a task process's environment: the worker module then serves tasks instead of a queue. */
export const TASK_PROCESS_ENV = 'SWITCHYARD_TASK_PROCESS';
export const DATA_SOCKET_ENV = 'SWITCHYARD_TASK_SOCKET';

/** Parent → task process. */
export interface RunMessage {
  readonly type: 'run';
  /** Names this run on the data socket. */
  readonly token: string;
  readonly taskId: string;
  readonly payload: unknown;
  readonly workerClass: WorkerClassName;
  readonly attempt: number;
}

/** Outputs up to this size travel inside the result message; larger ones stream on the data socket. */
export const INLINE_OUTPUT_BYTES = 64 * 1024;

/** What a task process can tell of a failed task; what the process itself died of, the worker decides. */
export interface HandlerFailure {
  readonly kind: 'too-big' | 'permanent' | 'transient';
  readonly code: WorkerErrorCode;
  readonly reason: string;
}

export type ChildOutcome =
  /** `inline`: the whole output (small), base64; absent: it was sent on the data socket. */
  { readonly kind: 'done'; readonly inline?: string } | HandlerFailure;

/** Task process → parent. */
export type ChildMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly token: string; readonly ratio: number; readonly note?: string }
  | { readonly type: 'result'; readonly token: string; readonly outcome: ChildOutcome };

/**
 * The data socket's handshake, one line per connection: `<token> in <key>` asks the parent to
 * stream the input object; `<token> out` sends the output. Streams stay out of the IPC channel
 * so that large inputs and outputs flow with back-pressure and are never buffered whole.
 */
export function handshake(token: string, direction: 'in' | 'out', key?: string): string {
  return `${token} ${direction}${key === undefined ? '' : ` ${encodeURIComponent(key)}`}\n`;
}

export function parseHandshake(
  line: string,
): { token: string; direction: 'in' | 'out'; key: string | undefined } | undefined {
  const [token, direction, key] = line.trim().split(' ');
  if (!token || (direction !== 'in' && direction !== 'out')) return undefined;
  return { token, direction, key: key === undefined ? undefined : decodeURIComponent(key) };
}
