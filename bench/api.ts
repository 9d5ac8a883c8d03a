/**
 * API under abuse: how long `GET /v1/status` takes while event streams are opened and dropped
 * by the dozen (each replays the whole release history), against the same call on an idle
 * server in the same run; and how many token guesses one address gets answered. Real server,
 * real HAProxy, the embedded store. Prints JSON. Run with `bench/run api`.
 */
import { randomUUID } from 'node:crypto';
import { appendReleaseEvent } from '../packages/switchyard/src/store/index.js';
import { startTestFleet } from '../packages/switchyard/test/support/local-fleet.js';
import {
  BUILDS,
  call,
  terminal,
  waitForRelease,
  type ReleaseBody,
} from '../packages/switchyard/test/support/release.js';
import { percentile, round } from './lib.js';

const HISTORY = Number(process.env.BENCH_EVENTS ?? 3000);
const STREAMS = Number(process.env.BENCH_STREAMS ?? 60);
const CALLS = Number(process.env.BENCH_CALLS ?? 30);
const GUESS_SECONDS = Number(process.env.BENCH_GUESS_SECONDS ?? 3);

async function statusTimes(api: string, auth: string, calls: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    const r = await call(api, auth, 'GET', '/v1/status');
    if (r.status !== 200) throw new Error(`status answered ${r.status}`);
    times.push(performance.now() - start);
  }
  return times;
}

/** Opens `count` event streams that replay everything, and drops each as soon as it answers. */
async function abandonStreams(api: string, auth: string, count: number): Promise<number[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const controller = new AbortController();
      const response = await fetch(`${api}/v1/events?after=0`, {
        headers: { authorization: auth },
        signal: controller.signal,
      }).catch(() => undefined);
      controller.abort();
      return response?.status ?? 0;
    }),
  );
}

async function main(): Promise<void> {
  const fleet = await startTestFleet({
    tickMs: 200,
    files: BUILDS,
    service: {
      command: ['node', 'builds/{version}/server.mjs'],
      release: {
        minRequests: 0,
        interval: '1s',
        gates: [],
        stages: [{ name: 'all', track: 'production', duration: '1s' }],
      },
    },
  });
  try {
    const started = await call<ReleaseBody>(fleet.api, fleet.auth, 'POST', '/v1/releases', {
      service: 'api',
      version: '1.1.0',
    });
    await waitForRelease(fleet.api, fleet.auth, started.body.id, terminal);
    // A long-lived environment's history: gate readings and steps of many releases.
    for (let i = 0; i < HISTORY; i++)
      await appendReleaseEvent(fleet.server.store, started.body.id, {
        type: 'note',
        payload: { n: i, id: randomUUID() },
      });

    const idle = await statusTimes(fleet.api, fleet.auth, CALLS);
    const storm = abandonStreams(fleet.api, fleet.auth, STREAMS);
    const during = await statusTimes(fleet.api, fleet.auth, CALLS);
    const answers = await storm;
    // Every stream was dropped: what is left running for them is what a caller now waits behind.
    const after = await statusTimes(fleet.api, fleet.auth, CALLS);

    let answered = 0;
    let throttled = 0;
    const until = performance.now() + GUESS_SECONDS * 1000;
    for (let i = 0; performance.now() < until; i++) {
      const r = await call(fleet.api, `Bearer swy_guess${String(i).padStart(39, '0')}`, 'GET', '/v1/status');
      if (r.status === 401) answered++;
      else if (r.status === 429) throttled++;
    }

    const p = (values: number[], q: number) => round(percentile(values, q), 1);
    console.log(
      JSON.stringify(
        {
          benchmark: 'api',
          history: { events: HISTORY },
          status: {
            idle: { p50Ms: p(idle, 50), p99Ms: p(idle, 99) },
            whileStreamsAreOpenedAndDropped: {
              streams: STREAMS,
              p50Ms: p(during, 50),
              p99Ms: p(during, 99),
              streamsServed: answers.filter((s) => s === 200).length,
              streamsRefused: answers.filter((s) => s === 429).length,
            },
            onceTheyAreDropped: { p50Ms: p(after, 50), p99Ms: p(after, 99) },
            ratioToIdle: {
              during: {
                p50: round(percentile(during, 50) / percentile(idle, 50), 2),
                p99: round(percentile(during, 99) / percentile(idle, 99), 2),
              },
              after: {
                p50: round(percentile(after, 50) / percentile(idle, 50), 2),
                p99: round(percentile(after, 99) / percentile(idle, 99), 2),
              },
            },
          },
          guessing: {
            seconds: GUESS_SECONDS,
            answered401: answered,
            refused429: throttled,
            guessesCheckedPerSecond: round(answered / GUESS_SECONDS, 1),
          },
        },
        null,
        2,
      ),
    );
  } finally {
    await fleet.stop();
  }
}

await main();
