import { randomUUID } from 'node:crypto';
import { writeFileSync, mkdirSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../test/support/cli.js';
import { answeredBy, get } from '../../test/support/load.js';
import type { TestFleet } from '../../test/support/local-fleet.js';
import {
  call,
  failingVerdict,
  releaseFleet,
  terminal,
  waitForRelease,
  type ReleaseBody,
} from '../../test/support/release.js';

/**
 * The default gates against real HAProxy counters at one traffic level of the gates benchmark:
 * 100 requests/s to the free group, 5% of its users on the canary, a canary failing 20%. The
 * simulation (bench/run gates) gives 8 failed requests (p95 10) before the cut; here the router's
 * counters, the orchestrator's one-second readings and the cut through HAProxy's Runtime API add
 * their delays. Figures in test-results/gates-haproxy.json.
 */

const RPS = 100;

/** Requests at a steady rate, each from a new user of the group, whatever the answers take. */
class PacedTraffic {
  readonly seen: { version: string; status: number; at: number; tookMs: number }[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly pending = new Set<Promise<void>>();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 32 });

  constructor(url: string, group: string, rps: number) {
    const began = Date.now();
    let sentSoFar = 0;
    // From the clock, not the timer's count: a late timer sends what it owes.
    this.timer = setInterval(() => {
      for (const due = Math.floor(((Date.now() - began) * rps) / 1000); sentSoFar < due; sentSoFar++) {
        const sentAt = Date.now();
        const sent = get(this.agent, url, { 'X-Traffic-Group': group, 'X-User-Id': randomUUID() }).then((a) => {
          const at = Date.now();
          this.seen.push({ version: answeredBy(a).version, status: a.status, at, tookMs: at - sentAt });
        });
        this.pending.add(sent);
        void sent.finally(() => this.pending.delete(sent));
      }
    }, 10);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.pending);
    this.agent.destroy();
  }
}

function percentileOf(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

describe('sequential gates on a real HAProxy router', { timeout: 180_000 }, () => {
  let fleet: TestFleet;

  beforeAll(async () => {
    fleet = await releaseFleet({
      tickMs: 100,
      service: {
        // The default sequential gate (the default ratio cap could cut first) and the latency
        // gate, read every second.
        release: {
          gates: [{ metric: 'errors-vs-stable' }, { metric: 'latency-vs-stable' }],
          stages: [
            { name: 'free', track: 'free', shares: { free: 5 }, duration: '5m' },
            { name: 'production', track: 'production', duration: '1s' },
          ],
        },
      },
    });
  });

  afterAll(async () => {
    await fleet?.stop();
  });

  it('cuts a canary failing 20% at 100 requests/s after about as many failed requests as the simulation', async () => {
    const traffic = new PacedTraffic(fleet.url, 'free', RPS);
    await new Promise((r) => setTimeout(r, 2000));
    const started = await call<ReleaseBody>(fleet.api, fleet.auth, 'POST', '/v1/releases', {
      service: 'api',
      version: '1.2.0-fail20',
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const done = await waitForRelease(fleet.api, fleet.auth, started.body.id, terminal, 120_000);
    await new Promise((r) => setTimeout(r, 1000));
    await traffic.stop();
    expect(done.status, done.outcome ?? '').toBe('rolled-back');
    expect(done.outcome).toMatch(/^stage free: free failed errors-vs-stable \(errors \d+\/\d+ \(/);

    const failing = await failingVerdict(fleet.api, fleet.auth, started.body.id);
    const first = traffic.seen.find((s) => s.version === '1.2.0-fail20');
    const bad = traffic.seen.filter((s) => s.version === '1.2.0-fail20');
    const failed = bad.filter((s) => s.status !== 200).length;
    const otherFailures = traffic.seen.filter((s) => s.version !== '1.2.0-fail20' && s.status !== 200).length;
    const seconds = Math.max(...traffic.seen.map((s) => s.at)) - Math.min(...traffic.seen.map((s) => s.at));
    const figures = {
      requestsPerSecond: Math.round((traffic.seen.length / seconds) * 1000),
      canaryRequests: bad.length,
      failedRequestsOfTheCanary: failed,
      failedRequestsOfOtherVersions: otherFailures,
      verdictAfterFirstCanaryAnswerMs: failing && first ? Date.parse(failing.at) - first.at : null,
      lastCanaryAnswerAfterVerdictMs: failing ? Math.max(...bad.map((s) => s.at)) - Date.parse(failing.at) : null,
      verdict: failing?.summary ?? null,
    };
    mkdirSync(join(REPO_ROOT, 'test-results'), { recursive: true });
    writeFileSync(join(REPO_ROOT, 'test-results/gates-haproxy.json'), `${JSON.stringify(figures, null, 2)}\n`);
    expect(figures.requestsPerSecond).toBeGreaterThan(RPS * 0.8);
    expect(otherFailures).toBe(0);
    // The benchmark's target at this level; the simulation's p95 is 10.
    expect(failed, JSON.stringify(figures)).toBeLessThanOrEqual(20);
  });

  it("cuts a canary whose slowest fifth answers 300 ms late on the router's response-time histograms", async () => {
    const traffic = new PacedTraffic(fleet.url, 'free', RPS);
    await new Promise((r) => setTimeout(r, 2000));
    const started = await call<ReleaseBody>(fleet.api, fleet.auth, 'POST', '/v1/releases', {
      service: 'api',
      version: '1.4.0-slow20',
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const done = await waitForRelease(fleet.api, fleet.auth, started.body.id, terminal, 120_000);
    await traffic.stop();
    expect(done.status, done.outcome ?? '').toBe('rolled-back');
    // The canary failed nothing: the latency gate alone cut it, saying by how much it was slower.
    expect(done.outcome).toMatch(
      /^stage free: free failed latency-vs-stable \(answers slower than the stable p99 \(\d+ ms\) \d+\/\d+ \(\d+\.\d+%\) vs stable \d+\/\d+ .*a regression, with at most 1\.00% chance of a false rollback\)/,
    );
    expect(done.outcome).not.toMatch(/failed errors-vs-stable/);
    expect(traffic.seen.filter((s) => s.status !== 200)).toHaveLength(0);
    const canary = traffic.seen.filter((s) => s.version === '1.4.0-slow20');
    const first = canary[0];
    const failing = await failingVerdict(fleet.api, fleet.auth, started.body.id);
    const figures = {
      canaryRequests: canary.length,
      slowAnswersOfTheCanary: canary.filter((s) => s.tookMs >= 300).length,
      stableP99Ms: percentileOf(
        traffic.seen.filter((s) => s.version !== '1.4.0-slow20').map((s) => s.tookMs),
        0.99,
      ),
      verdictAfterFirstCanaryAnswerMs: failing && first ? Date.parse(failing.at) - first.at : null,
      verdict: done.outcome,
    };
    writeFileSync(join(REPO_ROOT, 'test-results/gates-haproxy-latency.json'), `${JSON.stringify(figures, null, 2)}\n`);
    expect(figures.slowAnswersOfTheCanary, JSON.stringify(figures)).toBeGreaterThan(0);
  });
});
