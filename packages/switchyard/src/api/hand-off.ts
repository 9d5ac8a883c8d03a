import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SwitchyardError } from '../errors/index.js';
import { ENVIRONMENT_HEADER, rawBody } from './route.js';
import { SIGNATURE_HEADER } from './signature.js';

/**
 * Replicas of one store: the leader handles writes, a standby hands each write to it and
 * returns its answer unchanged. What a replica knows of leadership comes from the server.
 */

export type Role = 'leader' | 'standby';

/** What a replica says of leadership (GET /v1/leader, `switchyard status`). */
export interface LeaderView {
  readonly role: Role;
  /** This replica's advertised address. */
  readonly self: string;
  /** Whether other replicas may share this server's store (PostgreSQL); false for the embedded store's one opener. */
  readonly replicas: boolean;
  /** The leader: this replica, the one recorded while another holds the lock, or null when none is known. */
  readonly leader: { readonly address: string; readonly term: number; readonly since: string } | null;
}

/** The server's side of leadership, as the API uses it. */
export interface ApiLeadership {
  view(): Promise<LeaderView>;
}

/** A server with no replicas leads. */
export const ALONE: LeaderView = { role: 'leader', self: '', replicas: false, leader: null };

/** Whether a replica should receive traffic: the store answers and a leader is known (itself or another). */
export function readiness(view: LeaderView | undefined, storeAnswers: boolean): { ready: boolean; why: string } {
  if (!storeAnswers) return { ready: false, why: 'the store does not answer' };
  if (!view) return { ready: false, why: 'leadership is not known yet' };
  if (view.role === 'leader') return { ready: true, why: 'this replica leads' };
  // Unauthenticated: the leader's address is for GET /v1/leader, not for anyone who asks.
  if (view.leader) return { ready: true, why: 'standing by; another replica leads' };
  return { ready: false, why: 'standing by and no replica leads' };
}

/** Marks a write a standby handed off: the receiver never hands it on again (no loop between two standbys). */
export const HANDED_OFF_HEADER = 'x-switchyard-handed-off';

/** Request headers a hand-off carries: who calls, in which environment, and the retry key; nothing of the connection. */
const CARRIED = [
  'authorization',
  'idempotency-key',
  ENVIRONMENT_HEADER,
  'content-type',
  'accept',
  SIGNATURE_HEADER,
] as const;

/** Answer headers brought back from the leader. */
const RETURNED = ['content-type', 'idempotent-replay', 'retry-after', 'location'] as const;

/** The headers of a handed-off request: the caller's own, the request id (so both replicas' logs name it), the mark. */
export function handOffHeaders(headers: IncomingHttpHeaders, requestId: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of CARRIED) {
    const value = headers[name];
    if (typeof value === 'string') out[name] = value;
  }
  out['x-request-id'] = requestId;
  out[HANDED_OFF_HEADER] = '1';
  return out;
}

const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The request id a standby gave a handed-off write, so one id names it on both replicas; undefined otherwise. */
export function handedOffRequestId(headers: IncomingHttpHeaders): string | undefined {
  const id = headers['x-request-id'];
  return headers[HANDED_OFF_HEADER] === '1' && typeof id === 'string' && REQUEST_ID.test(id) ? id : undefined;
}

export function noLeader(why: string, leader?: string): SwitchyardError {
  return new SwitchyardError('SWY_API_NO_LEADER', {
    message: `No replica leads: ${why}`,
    details: { retryAfterSeconds: 2, ...(leader ? { leader } : {}) },
  });
}

/** The leader's base URL plus the request's path and query. */
export function leaderUrl(leader: string, url: string): string {
  return `${leader.replace(/\/+$/, '')}${url}`;
}

/**
 * Hands a write to the leader when this replica stands by; false when it leads (the caller
 * handles the request here). The caller has authenticated the request already, so a guessed
 * token is throttled and audited where it arrived, not on the leader under this replica's address.
 */
export async function handOff(
  leadership: ApiLeadership,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<boolean> {
  const view = await leadership.view();
  if (view.role === 'leader') return false;
  if (request.headers[HANDED_OFF_HEADER] === '1')
    throw noLeader(`this replica (${view.self}) was handed a write but stands by`);
  if (!view.leader) throw noLeader(`this replica (${view.self}) stands by and no replica holds the leader lock`);
  const address = view.leader.address;
  const raw = rawBody(request);
  let answer: Response;
  try {
    answer = await fetch(leaderUrl(address, request.url), {
      method: request.method,
      headers: handOffHeaders(request.headers, String(request.id)),
      // A signed webhook goes on byte for byte, so the leader checks the same signature.
      ...(raw.length > 0 ? { body: raw } : request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
      redirect: 'manual',
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw noLeader(
      `the leader at ${address} did not answer (${cause?.code ?? cause?.message ?? (err as Error).message})`,
      address,
    );
  }
  const body = await answer.text();
  for (const name of RETURNED) {
    const value = answer.headers.get(name);
    if (value !== null) void reply.header(name, value);
  }
  void reply.header('x-switchyard-leader', address);
  await reply.status(answer.status).send(body);
  return true;
}
