import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ENVIRONMENT_HEADER } from '../api/index.js';
import { catalogue, SwitchyardError, type ErrorCode } from '../errors/index.js';
import { makePrivate, privateDirectory, writeSecretFile } from '../server/index.js';

export const DEFAULT_API = 'http://127.0.0.1:7070';

/** Which server, and which of its environments, a command talks to. */
export interface ApiTarget {
  readonly address: string;
  /** Named to the server on every call; a server serving several environments needs it. */
  readonly environment?: string;
}

/** --api and --env, else SWITCHYARD_API and SWITCHYARD_ENV, else the local default and the server's only environment. */
export function apiTarget(opts: { readonly api?: string | undefined; readonly env?: string | undefined }): ApiTarget {
  const address = (opts.api ?? process.env.SWITCHYARD_API ?? DEFAULT_API).replace(/\/$/, '');
  const environment = opts.env ?? process.env.SWITCHYARD_ENV;
  return environment ? { address, environment } : { address };
}

/** --api and --env: the options of every command that talks to the API. */
export const API_OPTION = [
  '--api <url>',
  `Switchyard API address (default $SWITCHYARD_API or ${DEFAULT_API})`,
] as const;
export const ENV_OPTION = [
  '-e, --env <env>',
  'environment, when the server serves several (default $SWITCHYARD_ENV)',
] as const;

/** Where `switchyard up` leaves the token of the API it serves, by address (mode 0600). */
export function credentialsFile(): string {
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'switchyard', 'credentials.json');
}

/**
 * Saves the token for an API address, 0600 in a 0700 directory whatever modes they had before.
 * Returns what had to be tightened (e.g. `credentials.json 0644 → 0600`), for the caller to say.
 */
export async function saveCredentials(api: string, token: string): Promise<string[]> {
  const file = credentialsFile();
  const tightened = [await privateDirectory(dirname(file)), await makePrivate(file, basename(file))];
  let all: Record<string, string> = {};
  try {
    all = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
  } catch {
    // first one
  }
  all[api] = token;
  await writeSecretFile(file, `${JSON.stringify(all, null, 2)}\n`);
  return tightened.filter((t): t is string => t !== undefined);
}

/** SWITCHYARD_TOKEN, else the token saved for this API address. */
export function tokenFor(api: string): string | undefined {
  if (process.env.SWITCHYARD_TOKEN) return process.env.SWITCHYARD_TOKEN;
  try {
    return (JSON.parse(readFileSync(credentialsFile(), 'utf8')) as Record<string, string>)[api];
  } catch {
    return undefined;
  }
}

function unreachable(api: string, err: unknown): SwitchyardError {
  const code = (err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
  return new SwitchyardError('SWY_API_UNREACHABLE', {
    message: `The Switchyard API at ${api} did not answer (${code})`,
    cause: err,
  });
}

function headers(target: ApiTarget, extra: Record<string, string> = {}): Record<string, string> {
  const token = tokenFor(target.address);
  return {
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...(target.environment ? { [ENVIRONMENT_HEADER]: target.environment } : {}),
    ...extra,
  };
}

/** Calls the Switchyard API; its JSON errors come back as the same catalogue errors. */
export async function callApi<T>(
  target: ApiTarget,
  method: 'GET' | 'PUT' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  idempotencyKey?: string,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${target.address}${path}`, {
      method,
      headers: headers(target, {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
      }),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw unreachable(target.address, err);
  }
  const text = await response.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    const error = (
      json as
        | { error?: { code?: string; message?: string; hint?: string; details?: Record<string, unknown>; issues?: [] } }
        | undefined
    )?.error;
    const code = (error?.code && error.code in catalogue ? error.code : 'SWY_INTERNAL_ERROR') as ErrorCode;
    throw new SwitchyardError(code, {
      ...(error?.message ? { message: error.message } : {}),
      ...(error?.hint ? { hint: error.hint } : {}),
      ...(error?.details ? { details: error.details } : {}),
      ...(error?.issues ? { issues: error.issues } : {}),
    });
  }
  return json as T;
}

/**
 * Reads a server-sent event stream; `onData` returns true to stop, and so does `signal` (a
 * deadline). Reconnects with Last-Event-ID if the stream drops.
 */
export async function streamEvents(
  target: ApiTarget,
  path: string,
  onData: (data: unknown) => boolean,
  signal?: AbortSignal,
): Promise<void> {
  let lastId: string | undefined;
  for (let attempt = 0; attempt < 30; attempt++) {
    if (signal?.aborted) return;
    let response: Response;
    try {
      response = await fetch(`${target.address}${path}`, {
        headers: headers(target, { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) }),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (signal?.aborted) return;
      if (attempt >= 29) throw unreachable(target.address, err);
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    if (!response.ok || !response.body) await callApi(target, 'GET', path);
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const id = /^id: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (id) lastId = id;
          if (data && onData(JSON.parse(data) as unknown)) {
            await reader.cancel();
            return;
          }
        }
      }
    } catch {
      // the server went away (or the deadline passed): reconnect and resume after the last event seen
    }
    if (signal?.aborted) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}
