import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { installErrorHandler } from './errors.js';
import {
  ALONE,
  HANDED_OFF_HEADER,
  handedOffRequestId,
  handOff,
  handOffHeaders,
  leaderUrl,
  readiness,
  type LeaderView,
} from './hand-off.js';

const standby = (leader: string | null): LeaderView => ({
  role: 'standby',
  self: 'http://b:7070',
  replicas: true,
  leader: leader ? { address: leader, term: 3, since: '2026-01-01T00:00:00.000Z' } : null,
});

describe('what a hand-off carries', () => {
  it('carries who calls, the environment, the retry key and the request id; nothing of the connection', () => {
    const headers = handOffHeaders(
      {
        authorization: 'Bearer swy_x',
        'idempotency-key': 'k1',
        'x-switchyard-environment': 'production',
        'content-type': 'application/json',
        host: 'b:7070',
        connection: 'keep-alive',
        'content-length': '12',
        cookie: 'a=b',
      },
      '0f8fad5b-d9cb-469f-a165-70867728950e',
    );
    expect(headers).toEqual({
      authorization: 'Bearer swy_x',
      'idempotency-key': 'k1',
      'x-switchyard-environment': 'production',
      'content-type': 'application/json',
      'x-request-id': '0f8fad5b-d9cb-469f-a165-70867728950e',
      [HANDED_OFF_HEADER]: '1',
    });
  });

  it('keeps the request id of a handed-off write only, and only when it is a request id', () => {
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
    expect(handedOffRequestId({ 'x-request-id': id, [HANDED_OFF_HEADER]: '1' })).toBe(id);
    expect(handedOffRequestId({ 'x-request-id': id })).toBeUndefined();
    expect(handedOffRequestId({ 'x-request-id': 'forged\nline', [HANDED_OFF_HEADER]: '1' })).toBeUndefined();
  });

  it("joins the leader's address and the request's path and query", () => {
    expect(leaderUrl('http://a:7070/', '/v1/releases?x=1')).toBe('http://a:7070/v1/releases?x=1');
  });
});

describe('readiness', () => {
  it('is ready when the store answers and a leader is known', () => {
    expect(readiness(ALONE, true).ready).toBe(true);
    expect(readiness(standby('http://a:7070'), true)).toEqual({
      ready: true,
      why: 'standing by; another replica leads',
    });
    expect(readiness(standby(null), true)).toEqual({ ready: false, why: 'standing by and no replica leads' });
    expect(readiness(ALONE, false)).toEqual({ ready: false, why: 'the store does not answer' });
    expect(readiness(undefined, true).ready).toBe(false);
  });
});

describe('handing a write to the leader', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  /** A leader that answers every request with what it received. */
  async function echoLeader(): Promise<{
    address: string;
    seen: { method: string; url: string; headers: unknown; body: string }[];
  }> {
    const seen: { method: string; url: string; headers: unknown; body: string }[] = [];
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        res.writeHead(201, { 'content-type': 'application/json; charset=utf-8', 'idempotent-replay': 'true' });
        res.end('{"id":"r1","raw":  true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    return { address: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
  }

  async function replica(view: LeaderView): Promise<FastifyInstance> {
    const app = Fastify();
    installErrorHandler(app);
    app.post('/v1/releases', async (request, reply) => {
      if (await handOff({ view: async () => view }, request, reply)) return reply;
      return { handledHere: true };
    });
    await app.ready();
    closers.push(() => app.close());
    return app;
  }

  it("returns the leader's answer unchanged, status, body and replay mark", async () => {
    const leader = await echoLeader();
    const app = await replica(standby(leader.address));
    const answer = await app.inject({
      method: 'POST',
      url: '/v1/releases?wait=1',
      headers: { authorization: 'Bearer swy_x', 'idempotency-key': 'k1', 'content-type': 'application/json' },
      payload: { service: 'api', version: '2.0.0' },
    });
    expect(answer.statusCode).toBe(201);
    expect(answer.body).toBe('{"id":"r1","raw":  true}');
    expect(answer.headers['idempotent-replay']).toBe('true');
    expect(answer.headers['x-switchyard-leader']).toBe(leader.address);
    expect(leader.seen).toHaveLength(1);
    expect(leader.seen[0]).toMatchObject({
      method: 'POST',
      url: '/v1/releases?wait=1',
      headers: { authorization: 'Bearer swy_x', 'idempotency-key': 'k1', [HANDED_OFF_HEADER]: '1' },
    });
    expect(JSON.parse(leader.seen[0]?.body ?? '')).toEqual({ service: 'api', version: '2.0.0' });
  });

  it('handles the write itself when it leads', async () => {
    const app = await replica(ALONE);
    const answer = await app.inject({ method: 'POST', url: '/v1/releases', payload: {} });
    expect(answer.json()).toEqual({ handledHere: true });
  });

  it('refuses with SWY_API_NO_LEADER when no replica leads, or the leader does not answer', async () => {
    const none = await (await replica(standby(null))).inject({ method: 'POST', url: '/v1/releases', payload: {} });
    expect(none.statusCode).toBe(503);
    expect(none.json().error.code).toBe('SWY_API_NO_LEADER');
    expect(none.json().error.hint).toMatch(/Retry in a few seconds.*switchyard status/);
    const gone = await echoLeader();
    await closers.pop()?.();
    const dead = await (
      await replica(standby(gone.address))
    ).inject({ method: 'POST', url: '/v1/releases', payload: {} });
    expect(dead.statusCode).toBe(503);
    expect(dead.json().error.message).toBe(
      `No replica leads: the leader at ${gone.address} did not answer (ECONNREFUSED)`,
    );
    expect(dead.headers['retry-after']).toBe('2');
  });

  it('never hands a handed-off write on again', async () => {
    const leader = await echoLeader();
    const app = await replica(standby(leader.address));
    const answer = await app.inject({
      method: 'POST',
      url: '/v1/releases',
      headers: { [HANDED_OFF_HEADER]: '1' },
      payload: {},
    });
    expect(answer.statusCode).toBe(503);
    expect(answer.json().error.code).toBe('SWY_API_NO_LEADER');
    expect(leader.seen).toHaveLength(0);
  });
});
