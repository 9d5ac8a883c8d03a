import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestFleet, type TestFleet } from '../../test/support/local-fleet.js';
import { BUILDS, call, terminal, waitForRelease, type ReleaseBody } from '../../test/support/release.js';
import { catalogue, type ErrorCode } from '../errors/index.js';
import { errorBody } from './answers.js';
import type { ApiContext } from './context.js';
import { errorsOf } from './openapi.js';
import type { Route } from './route.js';
import { apiRoutes } from './server.js';

/**
 * The API over real HTTP, every answer checked twice: against the zod schema of the route that
 * gave it (the route table), and against the OpenAPI document the server publishes. An error
 * answer must carry a status and code the document declares for that operation.
 */

type Document = {
  paths: Record<string, Record<string, { responses: Record<string, { description: string; content?: unknown }> }>>;
  components: Record<string, unknown>;
};

interface StreamedEvent {
  seq: number;
  type: string;
  state: { status: string; phase: string; stage: { name: string; index: number } | null } | null;
}

/** Stages that pass on their own within seconds, without traffic. */
const QUICK_RELEASE = {
  command: ['node', 'builds/{version}/server.mjs'],
  release: {
    minRequests: 0,
    interval: '1s',
    gates: [{ metric: 'error-ratio', max: 0.5 }],
    stages: [
      { name: 'internal', track: 'internal', duration: '1s' },
      { name: 'free', track: 'free', shares: { free: 50 }, duration: '1s' },
      { name: 'paid', track: 'paid', shares: { paid: 50 }, duration: '1s' },
      { name: 'production', track: 'production', duration: '1s' },
    ],
  },
};

const openApiPath = (url: string) => url.replace(/:([A-Za-z]+)/g, '{$1}');

describe('API answers', () => {
  let fleet: TestFleet;
  let doc: Document;
  let routes: Route[];
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajvFormats.default(ajv);
  const compiled = new Map<string, ValidateFunction>();
  const checked = new Set<string>();

  /** The document's schema of one answer, with the document's components for its references. */
  function documented(path: string, method: string, status: number, media: string): ValidateFunction {
    const key = `${method} ${path} ${status}`;
    const found = compiled.get(key);
    if (found) return found;
    const content = doc.paths[path]?.[method]?.responses[String(status)]?.content as Record<string, unknown>;
    const schema = (
      media === 'text/event-stream'
        ? (content[media] as Record<string, unknown>)['x-switchyard-event-data']
        : (content[media] as Record<string, unknown>)['schema']
    ) as Record<string, unknown>;
    const validate = ajv.compile({ ...schema, components: doc.components });
    compiled.set(key, validate);
    return validate;
  }

  function routeOf(method: string, path: string): Route {
    const bare = path.split('?')[0] as string;
    const r = routes.find(
      (x) => x.method === method && new RegExp(`^${x.url.replace(/:[A-Za-z]+/g, '[^/]+')}$`).test(bare),
    );
    if (!r) throw new Error(`no route for ${method} ${bare}`);
    return r;
  }

  /** Calls the API and checks the answer against both schemas; returns it. */
  async function answer<T>(
    method: string,
    path: string,
    body?: unknown,
    auth = fleet.auth,
  ): Promise<{ status: number; body: T }> {
    const r = routeOf(method, path);
    const got = await call<T>(fleet.api, auth, method, path, body);
    const where = `${method} ${path} → ${got.status} ${JSON.stringify(got.body).slice(0, 400)}`;
    const operation = openApiPath(r.url);
    if (got.status < 400) {
      expect(got.status, where).toBe(r.status ?? 200);
      const parsed = r.response.safeParse(got.body);
      expect(parsed.success, `${where}\n${parsed.error?.message ?? ''}`).toBe(true);
      const validate = documented(operation, method.toLowerCase(), got.status, 'application/json');
      expect(validate(got.body), `${where}\n${JSON.stringify(validate.errors)}`).toBe(true);
    } else {
      expect(errorBody.safeParse(got.body).success, where).toBe(true);
      const code = (got.body as { error: { code: ErrorCode } }).error.code;
      expect(errorsOf(r), where).toContain(code);
      expect(catalogue[code].status, where).toBe(got.status);
      const declared = doc.paths[operation]?.[method.toLowerCase()]?.responses[String(got.status)];
      expect(declared?.description, where).toContain(code);
      const validate = documented(operation, method.toLowerCase(), got.status, 'application/json');
      expect(validate(got.body), `${where}\n${JSON.stringify(validate.errors)}`).toBe(true);
    }
    checked.add(`${r.method} ${r.url}`);
    return got;
  }

  /** Every event of one release from its start, until the last of them arrived. */
  async function streamed(id: string): Promise<StreamedEvent[]> {
    const controller = new AbortController();
    const response = await fetch(`${fleet.api}/v1/events?release=${id}`, {
      headers: { authorization: fleet.auth, accept: 'text/event-stream' },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const recorded = (await call<{ events: unknown[] }>(fleet.api, fleet.auth, 'GET', `/v1/releases/${id}`)).body.events
      .length;
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const events: StreamedEvent[] = [];
    while (events.length < recorded) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = text.indexOf('\n\n')) >= 0) {
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (data) events.push(JSON.parse(data) as StreamedEvent);
      }
    }
    controller.abort();
    const r = routeOf('GET', '/v1/events');
    const validate = documented('/v1/events', 'get', 200, 'text/event-stream');
    for (const e of events) {
      expect(r.response.safeParse(e).success, JSON.stringify(e)).toBe(true);
      expect(validate(e), JSON.stringify(validate.errors)).toBe(true);
    }
    checked.add('GET /v1/events');
    return events;
  }

  beforeAll(async () => {
    fleet = await startTestFleet({ tickMs: 200, service: QUICK_RELEASE, files: BUILDS });
    doc = (await call<Document>(fleet.api, fleet.auth, 'GET', '/v1/openapi.json')).body;
    routes = apiRoutes({ fleet: { environment: { name: 'sandbox' } } } as unknown as ApiContext);
  });

  afterAll(async () => {
    await fleet?.stop();
  });

  it('answers 401 with a Bearer challenge (RFC 6750): invalid_token only when a token was sent', async () => {
    const challenge = async (headers: Record<string, string>) => {
      const response = await fetch(`${fleet.api}/v1/status`, { headers });
      expect(response.status).toBe(401);
      return response.headers.get('www-authenticate');
    };
    expect(await challenge({})).toBe('Bearer realm="switchyard"');
    expect(await challenge({ authorization: 'Bearer swy_not-a-token' })).toMatch(
      /^Bearer realm="switchyard", error="invalid_token"(, error_description="[^"]*")?$/,
    );
    expect(await challenge({ authorization: 'Basic dXNlcjpwYXNz' })).toMatch(
      /^Bearer realm="switchyard", error="invalid_request"/,
    );
    const write = await fetch(`${fleet.api}/v1/releases`, {
      method: 'POST',
      headers: { authorization: 'Bearer swy_wrong', 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'api', version: '1.1.0' }),
    });
    expect(write.status).toBe(401);
    expect(write.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    await answer('GET', '/v1/status', undefined, 'Bearer swy_not-a-token');
  });

  it('streams each event with the release as it stood right after it, stage by stage', async () => {
    const started = await answer<ReleaseBody>('POST', '/v1/releases', { service: 'api', version: '1.1.0' });
    const done = await waitForRelease(fleet.api, fleet.auth, started.body.id, terminal);
    expect(done.status).toBe('succeeded');
    const events = await streamed(started.body.id);
    expect(events.length).toBeGreaterThan(8);
    const stages = events.map((e) => e.state?.stage?.name);
    // Each stage in turn, never one seen again after the next began.
    const order = stages.filter((s, i) => s !== stages[i - 1]);
    expect(order).toEqual(['internal', 'free', 'paid', 'production']);
    expect(events[0]?.state?.status).toBe('running');
    expect(events.at(-1)?.state?.status).toBe('succeeded');
    const statuses = events.map((e) => e.state?.status);
    const ended = statuses.indexOf('succeeded');
    expect(ended).toBeGreaterThan(events.length / 2);
    expect(statuses.slice(0, ended).every((s) => s === 'running')).toBe(true);
    expect(statuses.slice(ended).every((s) => s === 'succeeded')).toBe(true);
  });

  it('answers every route as its schema and the OpenAPI document say, errors included', async () => {
    const releases = await answer<{ releases: ReleaseBody[] }>('GET', '/v1/releases');
    const id = releases.body.releases[0]?.id as string;
    await answer('GET', `/v1/releases/${id}`);
    await answer('GET', '/v1/releases/00000000-0000-4000-8000-000000000000');
    await answer('GET', '/v1/status');
    await answer('GET', '/v1/services/api');
    await answer('GET', '/v1/services/nope');
    await answer('GET', '/v1/services/api/figures');
    await answer('GET', '/v1/health');
    await answer('GET', '/v1/health/api');
    await answer('GET', '/v1/health/nope');
    await answer('PUT', '/v1/services/api/groups/paid/share', { share: 3, reason: 'answers test' });
    await answer('PUT', '/v1/services/api/groups/enterprise/share', { share: 3 });
    await answer('PUT', '/v1/services/api/legacy/share', { share: 10 });
    await answer('PUT', '/v1/services/api/tracks/internal', { replicas: 2 });
    await answer('GET', '/v1/services/api/history?limit=5');
    await answer('GET', '/v1/audit?limit=20');
    await answer('GET', '/v1/leader');
    await answer('GET', '/v1/config');
    await answer('POST', '/v1/hooks/config', {});
    await answer('POST', '/v1/releases', { service: 'api', version: '9.9.9' });

    const running = await answer<ReleaseBody>('POST', '/v1/releases', { service: 'api', version: '1.3.0' });
    const rid = running.body.id;
    await answer('POST', '/v1/releases', { service: 'api', version: '1.3.0' });
    await answer('POST', `/v1/releases/${rid}/pause`, {});
    await answer('POST', `/v1/releases/${rid}/resume`, {});
    await answer('POST', `/v1/releases/${rid}/approve`, {});
    await answer('POST', `/v1/releases/${rid}/promote`, {});
    await answer('POST', `/v1/releases/${rid}/abort`, { reason: 'answers test' });
    await waitForRelease(fleet.api, fleet.auth, rid, terminal);
    await answer('POST', `/v1/releases/${rid}/rollback`, {});
    await answer('POST', '/v1/services/api/rollback', { to: '1.0.0', reason: 'answers test' });

    const created = await answer<{ token: { id: string } }>('POST', '/v1/tokens', {
      name: 'answers-viewer',
      roles: { sandbox: 'viewer' },
      expires: '1d',
    });
    await answer('POST', '/v1/tokens', { name: 'answers-viewer', roles: { sandbox: 'viewer' } });
    await answer('GET', '/v1/tokens');
    await answer('DELETE', `/v1/tokens/${created.body.token.id}`);
    await answer('DELETE', '/v1/tokens/no-such-token');

    const silence = await answer<{ id: string }>('POST', '/v1/silences', {
      services: ['api'],
      reason: 'answers test',
      expires: '1h',
    });
    await answer('POST', '/v1/silences', { reason: 'answers test', expires: '1h' });
    await answer('GET', '/v1/silences');
    await answer('DELETE', `/v1/silences/${silence.body.id}`);
    await answer('DELETE', '/v1/silences/no-such-silence');

    await answer('GET', '/v1/runbooks/track-endpoints');
    await answer('GET', '/v1/runbooks/leftovers?rule=critical');
    await answer('GET', '/v1/runbooks/no-such-check');
    const timeline = await answer<{ entries: { kind: string; ref: string | null }[]; next: string | null }>(
      'GET',
      '/v1/timeline?since=1h&limit=2',
    );
    expect(timeline.body.entries).toHaveLength(2);
    await answer('GET', `/v1/timeline?since=1h&limit=2&after=${timeline.body.next}`);
    await answer('GET', '/v1/timeline?since=yesterday');
    await answer('GET', '/v1/timeline?since=1h&after=bm90IGEgY3Vyc29y');
    const postmortem = await answer<{ entries: { kind: string; ref: string | null }[] }>(
      'GET',
      '/v1/postmortem?since=1h&service=api',
    );
    expect(postmortem.body.entries.filter((e) => e.ref === rid).map((e) => e.kind)).toContain('release');
    await answer('GET', '/v1/postmortem?since=1h&until=2h');

    expect(routes.map((r) => `${r.method} ${r.url}`).filter((r) => !checked.has(r))).toEqual([]);
  });
});
