import { randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import { answeredBy, get } from './load.js';
import { HTTP_SERVICE, startTestFleet, type FleetOptions, type TestFleet } from './local-fleet.js';

/** Calls a running Switchyard API; returns status and JSON body. */
export async function call<T = Record<string, unknown>>(
  api: string,
  auth: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: { authorization: auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
}

export interface ReleaseBody {
  id: string;
  status: string;
  phase: string;
  stage: { name: string; index: number } | null;
  verdict: { outcome: string; summary: string } | null;
  outcome: string | null;
  allowed: string[];
  verdicts?: {
    at: string;
    outcome: string;
    summary: string;
    gates: { gate: string; value: number | null; ok: boolean; detail?: string }[];
  }[];
}

/** Polls a release until `done` says so. */
export async function waitForRelease(
  api: string,
  auth: string,
  id: string,
  done: (r: ReleaseBody) => boolean,
  timeoutMs = 120_000,
): Promise<ReleaseBody> {
  const deadline = Date.now() + timeoutMs;
  let last: ReleaseBody | undefined;
  while (Date.now() < deadline) {
    try {
      const r = await call<ReleaseBody>(api, auth, 'GET', `/v1/releases/${id}`);
      if (r.status === 200) {
        last = r.body;
        if (done(r.body)) return r.body;
      }
    } catch {
      // the server may be restarting
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(
    `release ${id} did not reach the expected state within ${timeoutMs} ms; last: ${JSON.stringify(last)}`,
  );
}

/** The verdict that failed a release's stage, as the API keeps it; undefined when none failed. */
export async function failingVerdict(
  api: string,
  auth: string,
  id: string,
): Promise<NonNullable<ReleaseBody['verdicts']>[number] | undefined> {
  const detail = await call<ReleaseBody>(api, auth, 'GET', `/v1/releases/${id}`);
  return detail.body.verdicts?.find((v) => v.outcome === 'fail');
}

export const terminal = (r: ReleaseBody) => ['succeeded', 'rolled-back', 'aborted', 'failed'].includes(r.status);

/**
 * Steady traffic from every group while a release runs: counts answers per group, track and
 * status, so a test can say who saw a failure.
 */
export class Traffic {
  readonly seen: {
    group: string;
    track: string;
    version: string;
    status: number;
    at: number;
    /** The network error of a status 0. */
    error?: string;
    retried?: true;
  }[] = [];
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(url: string, groups: readonly string[], concurrency = 4) {
    const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    this.loops = Array.from({ length: concurrency }, async (_, i) => {
      let n = 0;
      while (this.running) {
        const group = groups[(n + i) % groups.length] as string;
        n++;
        const answer = await get(agent, url, { 'X-Traffic-Group': group, 'X-User-Id': randomUUID() });
        const by = answeredBy(answer);
        this.seen.push({
          group,
          track: by.track,
          version: by.version,
          status: answer.status,
          at: Date.now(),
          ...(answer.status === 0 ? { error: answer.body } : {}),
          ...(answer.retried ? { retried: answer.retried } : {}),
        });
        if (answer.status === 0) await new Promise((r) => setTimeout(r, 20));
      }
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  failures(filter: (s: Traffic['seen'][number]) => boolean = () => true): number {
    return this.seen.filter((s) => filter(s) && s.status !== 200).length;
  }

  /** Requests sent a second time because their keep-alive connection closed under them. */
  retries(): number {
    return this.seen.filter((s) => s.retried).length;
  }
}

const VERSIONS = ['1.0.0', '1.1.0', '1.2.0-fail20', '1.3.0', '1.4.0-slow20'];

/** Builds the command names by version, so a version that was never built is unknown. */
export const BUILDS = Object.fromEntries(
  VERSIONS.map((v) => [`builds/${v}/server.mjs`, `import ${JSON.stringify(HTTP_SERVICE)};\n`]),
);

export const RELEASE_SERVICE = {
  command: ['node', 'builds/{version}/server.mjs'],
  release: {
    minRequests: 20,
    interval: '1s',
    inconclusiveAfter: '40s',
    gates: [
      { metric: 'error-ratio-vs-stable', max: 0.02 },
      { metric: 'error-ratio', max: 0.05 },
    ],
    stages: [
      { name: 'internal', track: 'internal', duration: '1s', approval: true, gates: [] },
      { name: 'free', track: 'free', shares: { free: 50 }, duration: '4s' },
      { name: 'paid', track: 'paid', shares: { paid: 50 }, duration: '4s' },
      { name: 'production', track: 'production', duration: '2s' },
    ],
  },
};

export function releaseFleet(options: FleetOptions = {}): Promise<TestFleet> {
  return startTestFleet({
    tickMs: 200,
    ...options,
    service: { ...RELEASE_SERVICE, ...options.service },
    files: { ...BUILDS, ...options.files },
  });
}
