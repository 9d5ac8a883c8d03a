/**
 * Rollback benchmark: a bad version fails its gate; how long until its users are back on the
 * stable version, and how many failed requests they saw in between. Repeated runs on the local
 * runtime with real HAProxy; the baseline is the same share change made directly (no engine),
 * measured in the same run. Prints JSON. Run with `bench/run rollback`.
 */
import { Agent } from 'node:http';
import { get, answeredBy } from '../packages/switchyard/test/support/load.js';
import {
  call,
  failingVerdict,
  releaseFleet,
  terminal,
  Traffic,
  waitForRelease,
  type ReleaseBody,
} from '../packages/switchyard/test/support/release.js';
import { percentile, round } from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const INTERVAL_MS = 500;

async function main(): Promise<void> {
  const fleet = await releaseFleet({
    tickMs: 100,
    service: {
      release: {
        minRequests: 20,
        interval: `${INTERVAL_MS}ms`,
        inconclusiveAfter: '30s',
        gates: [{ metric: 'error-ratio', max: 0.05 }],
        stages: [{ name: 'free', track: 'free', shares: { free: 50 }, duration: '30s' }],
      },
    },
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  // A user the 50% canary share puts on the canary track.
  let user = '';
  await fleet.runtime.setShare('api', 'free', 50);
  for (let i = 0; i < 1000 && !user; i++) {
    if (answeredBy(await get(agent, fleet.url, { 'X-Traffic-Group': 'free', 'X-User-Id': `u${i}` })).track === 'free')
      user = `u${i}`;
  }
  await fleet.runtime.setShare('api', 'free', 5);

  // Baseline: the same move of traffic done directly on the router.
  const direct: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await fleet.runtime.setShare('api', 'free', 50);
    const start = performance.now();
    await fleet.runtime.setShare('api', 'free', 0);
    while (
      answeredBy(await get(agent, fleet.url, { 'X-Traffic-Group': 'free', 'X-User-Id': user })).track !== 'production'
    ) {
      /* until the user is back */
    }
    direct.push(performance.now() - start);
  }
  await fleet.runtime.setShare('api', 'free', 5);

  const backAfterVerdict: number[] = [];
  const verdictAfterObserving: number[] = [];
  const failedBetween: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const traffic = new Traffic(fleet.url, ['free', 'enterprise'], 4);
    let back = 0;
    let seenCanary = false;
    let probing = true;
    const probe = (async () => {
      while (probing) {
        const track = answeredBy(await get(agent, fleet.url, { 'X-Traffic-Group': 'free', 'X-User-Id': user })).track;
        if (track === 'free') seenCanary = true;
        else if (seenCanary && track === 'production' && back === 0) back = Date.now();
      }
    })();
    const started = await call<ReleaseBody>(fleet.api, fleet.auth, 'POST', '/v1/releases', {
      service: 'api',
      version: '1.2.0-fail20',
    });
    if (started.status !== 201) throw new Error(JSON.stringify(started.body));
    const done = await waitForRelease(fleet.api, fleet.auth, started.body.id, terminal, 120_000);
    probing = false;
    await probe;
    await traffic.stop();
    if (done.status !== 'rolled-back') throw new Error(`run ${run}: ${done.status} ${done.outcome}`);
    const failing = await failingVerdict(fleet.api, fleet.auth, started.body.id);
    const verdictAt = Date.parse(failing?.at ?? '');
    const stageBegan = Date.parse((done as ReleaseBody & { observingSince: string }).observingSince);
    backAfterVerdict.push(back - verdictAt);
    failedBetween.push(traffic.seen.filter((s) => s.status !== 200 && s.at >= verdictAt && s.at <= back).length);
    verdictAfterObserving.push(verdictAt - stageBegan);
  }
  agent.destroy();
  const result = {
    benchmark: 'rollback',
    runs: RUNS,
    gateIntervalMs: INTERVAL_MS,
    trafficBackAfterVerdictMs: {
      p50: round(percentile(backAfterVerdict, 50), 1),
      p99: round(percentile(backAfterVerdict, 99), 1),
      max: round(Math.max(...backAfterVerdict), 1),
    },
    failedRequestsBetweenVerdictAndStable: {
      p50: percentile(failedBetween, 50),
      max: Math.max(...failedBetween),
      total: failedBetween.reduce((a, b) => a + b, 0),
    },
    verdictAfterStageBeganMs: {
      p50: round(percentile(verdictAfterObserving, 50), 1),
      p99: round(percentile(verdictAfterObserving, 99), 1),
    },
    baselineDirectShareChangeMs: { p50: round(percentile(direct, 50), 2), p99: round(percentile(direct, 99), 2) },
    ratioEngineVsDirectP50: round(percentile(backAfterVerdict, 50) / percentile(direct, 50), 1),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  await fleet.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
