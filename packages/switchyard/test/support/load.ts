import { Agent, request, type IncomingHttpHeaders } from 'node:http';

export interface Answer {
  readonly status: number;
  /** The answer's body; for status 0, the network error (`ECONNREFUSED: connect …`). */
  readonly body: string;
  readonly headers: IncomingHttpHeaders;
  /** Sent again once: the keep-alive connection it first went out on was closed before any answer. */
  readonly retried?: true;
}

const describeError = (err: NodeJS.ErrnoException) => (err.code ? `${err.code}: ${err.message}` : err.message);

/**
 * One GET through a keep-alive agent; network errors come back as status 0. A request that went
 * out on a reused keep-alive connection which the server closed before answering (the close and
 * the request crossed on the wire) is sent once more on a new connection, as browsers and HTTP
 * clients do for idempotent requests (RFC 9112 §9.3.1); the answer says so (`retried`).
 */
export function get(agent: Agent, url: string, headers: Record<string, string>, retried = false): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(url, { agent, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers, ...(retried ? { retried } : {}) }),
      );
      res.on('error', (err) => resolve({ status: 0, body: describeError(err), headers: {} }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (!retried && req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
        resolve(get(agent, url, headers, true));
        return;
      }
      resolve({ status: 0, body: describeError(err), headers: {}, ...(retried ? { retried } : {}) });
    });
    req.end();
  });
}

/** Sends `count` requests, `concurrency` at a time; `headers(i)` gives each one its headers. */
export async function hammer(
  url: string,
  count: number,
  headers: (i: number) => Record<string, string>,
  concurrency = 32,
): Promise<Answer[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const answers: Answer[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        answers[i] = await get(agent, url, headers(i));
      }
    }),
  );
  agent.destroy();
  return answers;
}

/** Which track (and version) answered, from the example service's JSON body. */
export function answeredBy(answer: Answer): { track: string; version: string } {
  try {
    const json = JSON.parse(answer.body) as { track?: string; version?: string };
    return { track: json.track ?? '?', version: json.version ?? '?' };
  } catch {
    return { track: `status-${answer.status}`, version: '?' };
  }
}
