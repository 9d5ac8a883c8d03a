import { Agent, request, type IncomingHttpHeaders } from 'node:http';

export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers: IncomingHttpHeaders;
}

/** One GET through a keep-alive agent; network errors come back as status 0. */
export function get(agent: Agent, url: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(url, { agent, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', (err) => resolve({ status: 0, body: err.message, headers: {} }));
    });
    req.on('error', (err) => resolve({ status: 0, body: err.message, headers: {} }));
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
