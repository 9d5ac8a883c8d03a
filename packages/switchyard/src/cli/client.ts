import { catalogue, SwitchyardError, type ErrorCode } from '../errors/index.js';

export const DEFAULT_API = 'http://127.0.0.1:7070';

export function apiAddress(explicit: string | undefined): string {
  return (explicit ?? process.env.SWITCHYARD_API ?? DEFAULT_API).replace(/\/$/, '');
}

/** Calls the Switchyard API; its JSON errors come back as the same catalogue errors. */
export async function callApi<T>(api: string, method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${api}${path}`, {
      method,
      ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
    });
  } catch (err) {
    throw new SwitchyardError('SWY_API_UNREACHABLE', { message: `The Switchyard API at ${api} did not answer (${(err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message})`, cause: err });
  }
  const text = await response.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    const error = (json as { error?: { code?: string; message?: string; hint?: string; details?: Record<string, unknown> } } | undefined)?.error;
    const code = (error?.code && error.code in catalogue ? error.code : 'SWY_INTERNAL_ERROR') as ErrorCode;
    throw new SwitchyardError(code, { ...(error?.message ? { message: error.message } : {}), ...(error?.hint ? { hint: error.hint } : {}), ...(error?.details ? { details: error.details } : {}) });
  }
  return json as T;
}
