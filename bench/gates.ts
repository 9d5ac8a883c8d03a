/**
 * Gates benchmark: how many failed requests a bad canary serves before it is cut, how long the
 * verdict takes, and how many good canaries are wrongly rolled back, for three ways of judging
 * the same traffic, side by side in one run:
 *   - sequential: today's default gates (errors-vs-stable, read every second) in the release machine;
 *   - ratio: the defaults before them (error ratio ≤ +1 point over stable and ≤ 5%, read every
 *     10 s after 50 requests, a 5-minute stage) in the same machine;
 *   - flagger: Flagger-style analysis, one check a minute of the canary's error ratio (≤ 1%),
 *     rolled back at 5 failed checks, promoted after 10.
 * Traffic: a group at 10, 100 and 1,000 requests/s, 5% of it on the canary, Poisson arrivals,
 * the stable track failing 0.1% of requests; canaries failing 20%, 5% and 1%, and a good one
 * failing like stable. Simulated (packages/switchyard/test/support/canary-sim.ts): the machine
 * measures and cuts without delay, so the figures are the judgement's own.
 * "Verdict" is the cut for a bad canary; for a good one, the time its gate passed (a sequential
 * pass is kept; a threshold gate's pass is only final when the stage ends).
 * Prints a table on stderr and JSON on stdout. Run with `bench/run gates`.
 */
import { simulate, type Judge, type StageResult } from '../packages/switchyard/test/support/canary-sim.js';
import { Random } from '../packages/switchyard/test/support/random.js';
import type { Service } from '../packages/switchyard/src/spec/index.js';
import { percentile, round } from './lib.js';

const RELEASES = Number(process.env.BENCH_RELEASES ?? 1000);
const LEVELS = (process.env.BENCH_RPS ?? '10,100,1000').split(',').map(Number);
const SHARE = 0.05;
const STABLE_RATE = 0.001;
const CANARIES = [0.2, 0.05, 0.01, STABLE_RATE];
const JUDGES: Judge[] = ['sequential', 'ratio', 'flagger'];

interface Figures {
  readonly failedServed: { readonly p50: number; readonly p95: number };
  readonly verdictSeconds: { readonly p50: number; readonly p95: number };
  /** Share of releases rolled back (wrongly, for the good canary). */
  readonly rolledBack: number;
  readonly undecided: number;
}

function figures(results: readonly StageResult[]): Figures {
  const failed = results.map((r) => r.failedServed);
  const seconds = results.map((r) => r.verdictSeconds);
  return {
    failedServed: { p50: percentile(failed, 50), p95: percentile(failed, 95) },
    verdictSeconds: { p50: percentile(seconds, 50), p95: percentile(seconds, 95) },
    rolledBack: round(results.filter((r) => r.outcome === 'rolled-back').length / results.length, 4),
    undecided: round(results.filter((r) => r.outcome === 'undecided').length / results.length, 4),
  };
}

const label = (rate: number) => (rate === STABLE_RATE ? 'good (0.1%)' : `${rate * 100}%`);

function main(): void {
  const started = Date.now();
  const services = new Map<Judge, Service>();
  const random = new Random(20261203);
  const levels = LEVELS.map((rps) => ({
    rps,
    canaries: CANARIES.map((canaryRate) => ({
      canaryErrorRatio: canaryRate,
      good: canaryRate === STABLE_RATE,
      judges: Object.fromEntries(
        JUDGES.map((judge) => {
          const results: StageResult[] = [];
          for (let i = 0; i < RELEASES; i++)
            results.push(simulate(judge, { rps, share: SHARE, stableRate: STABLE_RATE, canaryRate }, random, services));
          return [judge, figures(results)];
        }),
      ) as Record<Judge, Figures>,
    })),
  }));

  const rows = [
    ['requests/s', 'canary', 'judge', 'failed p50', 'failed p95', 'verdict p50', 'verdict p95', 'rolled back'],
  ];
  for (const level of levels)
    for (const c of level.canaries)
      for (const judge of JUDGES) {
        const f = c.judges[judge];
        rows.push([
          String(level.rps),
          label(c.canaryErrorRatio),
          judge,
          String(f.failedServed.p50),
          String(f.failedServed.p95),
          `${f.verdictSeconds.p50} s`,
          `${f.verdictSeconds.p95} s`,
          `${round(f.rolledBack * 100, 2)}%`,
        ]);
      }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  process.stderr.write(`${rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')).join('\n')}\n`);

  const at100 = levels.find((l) => l.rps === 100);
  const sequentialAt = (l: (typeof levels)[number], rate: number) =>
    l.canaries.find((c) => c.canaryErrorRatio === rate)?.judges.sequential;
  const result = {
    benchmark: 'gates',
    releasesPerCase: RELEASES,
    canaryShare: SHARE,
    stableErrorRatio: STABLE_RATE,
    levels,
    targets: {
      failedServedP95At100RpsFor20Percent: at100 ? sequentialAt(at100, 0.2)?.failedServed.p95 : null,
      failedServedTarget: 20,
      worstGoodRolledBack: Math.max(...levels.map((l) => sequentialAt(l, STABLE_RATE)?.rolledBack ?? 0)),
      goodRolledBackTarget: 0.01,
    },
    seconds: round((Date.now() - started) / 1000, 1),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main();
