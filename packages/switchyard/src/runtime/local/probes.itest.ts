import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatStatus } from '../../cli/commands/traffic.js';
import { get } from '../../../test/support/load.js';
import { startTestFleet, type TestFleet } from '../../../test/support/local-fleet.js';
import { alive } from '../../../test/support/processes.js';
import { Traffic } from '../../../test/support/release.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Requests from `concurrency` users at a time until stopped; remembers how long each one took. */
function timedLoad(url: string, group: string, concurrency = 4): { stop(): Promise<{ status: number; ms: number }[]> } {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const answers: { status: number; ms: number }[] = [];
  let running = true;
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      const started = Date.now();
      const answer = await get(agent, url, { 'X-Traffic-Group': group, 'X-User-Id': randomUUID() });
      answers.push({ status: answer.status, ms: Date.now() - started });
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return answers;
    },
  };
}

describe('liveness: a replica that stops answering', () => {
  let fleet: TestFleet;
  beforeAll(async () => {
    fleet = await startTestFleet({
      service: {
        probes: {
          readiness: { path: '/ready', periodSeconds: 1 },
          liveness: { path: '/healthz', periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 2 },
        },
        terminationGraceSeconds: 5,
      },
    });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('is killed and replaced within its liveness budget, and no request waits for it', async () => {
    const track = fleet.runtime.track('api', 'production');
    const [victim] = track.pids() as [number];
    const load = timedLoad(fleet.url, 'enterprise');
    await sleep(500);
    const frozenAt = Date.now();
    process.kill(victim, 'SIGSTOP');
    let replacedAfter = Number.NaN;
    try {
      await waitFor(
        'the frozen replica to be replaced',
        () => !track.pids().includes(victim) && track.status().ready === 2,
        30_000,
      );
      replacedAfter = (Date.now() - frozenAt) / 1000;
    } finally {
      const answers = await load.stop();
      const slowest = Math.max(...answers.map((a) => a.ms)) / 1000;
      const failed = answers.filter((a) => a.status !== 200).length;
      console.log(
        `frozen replica: replaced after ${replacedAfter.toFixed(1)} s; ${failed} of ${answers.length} requests failed; the slowest took ${slowest.toFixed(1)} s`,
      );
      if (alive(victim)) process.kill(victim, 'SIGKILL');
      // Budget: period × failureThreshold + timeout to decide, then a start of the new replica.
      expect(replacedAfter).toBeLessThan(10);
      expect(slowest).toBeLessThan(6);
      expect(failed).toBe(0);
    }
    expect(alive(victim)).toBe(false);
    const crash = fleet.events.find((e) => e.type === 'replica-crashed');
    expect(crash).toMatchObject({ track: 'production', signal: 'SIGKILL' });
    expect(fleet.events.some((e) => e.type === 'replica-unhealthy')).toBe(true);
  });
});

/** A replica whose readiness follows a file in its working directory: `unready-<track>` makes it unready. */
const TOGGLE = `import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
const track = process.env.SWITCHYARD_TRACK;
const identity = { service: process.env.SWITCHYARD_SERVICE, track, version: process.env.SWITCHYARD_VERSION };
createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  const status = path === '/ready' && existsSync('unready-' + track) ? 503 : 200;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(identity));
}).listen(Number(process.env.PORT), process.env.HOST);
process.on('SIGTERM', () => process.exit(0));
`;

describe('fallback: a track with no ready server', () => {
  let fleet: TestFleet;
  beforeAll(async () => {
    fleet = await startTestFleet({
      shares: { free: 50 },
      service: { command: ['node', 'toggle.mjs'] },
      files: { 'toggle.mjs': TOGGLE },
    });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  const serversUp = async (track: string) =>
    (await fleet.runtime.router('api').figures()).find((f) => f.track === track)?.serversUp;
  const requestsOf = async (track: string) =>
    (await fleet.runtime.router('api').figures()).find((f) => f.track === track)?.requests ?? 0;

  it('sends a pinned and a canary group to the stable track, says so in status, and counts no request to the empty track', async () => {
    const traffic = new Traffic(fleet.url, ['internal', 'free']);
    await sleep(1000);
    for (const track of ['internal', 'free']) writeFileSync(join(fleet.dir, `unready-${track}`), '');
    await waitFor(
      'HAProxy to take the internal and free servers out',
      async () => (await serversUp('internal')) === 0 && (await serversUp('free')) === 0,
      15_000,
    );
    await waitFor(
      'status to show the fallback',
      async () => (await fleet.runtime.status())[0]?.tracks.filter((t) => t.fallbackTo).length === 2,
      5000,
    ).catch(() => undefined);
    const servedBy = (await fleet.runtime.status())[0]?.tracks.map((t) => [t.track, t.fallbackTo]);
    const printed = formatStatus('sandbox', await fleet.runtime.status());
    const [internalBefore, freeBefore] = [await requestsOf('internal'), await requestsOf('free')];
    const since = Date.now();
    await sleep(3000);
    const [internalAfter, freeAfter] = [await requestsOf('internal'), await requestsOf('free')];
    const during = traffic.seen.filter((s) => s.at > since + 200);
    for (const track of ['internal', 'free']) rmSync(join(fleet.dir, `unready-${track}`));
    await waitFor(
      'the internal and free servers back',
      async () => (await serversUp('internal')) === 2 && (await serversUp('free')) === 2,
      15_000,
    );
    await sleep(1000);
    await traffic.stop();
    const failed = traffic.failures();
    console.log(`unready canary and pinned tracks: ${failed} of ${traffic.seen.length} requests failed`);
    expect(failed).toBe(0);
    expect(during.length).toBeGreaterThan(20);
    expect(new Set(during.map((s) => s.track))).toEqual(new Set(['production']));
    expect(servedBy).toEqual([
      ['internal', 'production'],
      ['free', 'production'],
      ['paid', undefined],
      ['production', undefined],
    ]);
    expect(printed).toMatch(/internal 0\/2 1\.0\.0 \(no ready server: served by production\)/);
    // The gate judges the canary on what the canary answered: none of the fallback requests.
    expect(internalAfter - internalBefore).toBe(0);
    expect(freeAfter - freeBefore).toBe(0);
    expect((await fleet.runtime.status())[0]?.tracks.every((t) => t.fallbackTo === undefined)).toBe(true);
    const after = traffic.seen.filter((s) => s.at > Date.now() - 800 && s.group === 'internal');
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((s) => s.track === 'internal')).toBe(true);
  });
});
