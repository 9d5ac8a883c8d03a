import { describe, expect, it } from 'vitest';
import { simulate, simulatedService, type StageResult } from '../../test/support/canary-sim.js';
import { Random } from '../../test/support/random.js';

/**
 * The default gates in the release machine, over many simulated canary stages (seeded, so the
 * figures are exact): a group at 100 requests/s, 5% on the canary, the stable track failing 0.1%.
 */

const scenario = { rps: 100, share: 0.05, stableRate: 0.001 };

function run(canaryRate: number, releases: number, seed: number): StageResult[] {
  const random = new Random(seed);
  const services = new Map([['sequential' as const, simulatedService('sequential')]]);
  return Array.from({ length: releases }, () => simulate('sequential', { ...scenario, canaryRate }, random, services));
}

describe('default gates over simulated releases', () => {
  it('never rolls back more than 1% of 300 good canaries', () => {
    const results = run(0.001, 300, 1);
    const rolledBack = results.filter((r) => r.outcome === 'rolled-back').length;
    expect(rolledBack / results.length).toBeLessThanOrEqual(0.01);
    expect(results.every((r) => r.outcome !== 'undecided')).toBe(true);
  });

  it('cuts every one of 500 canaries failing 20% after at most 20 failed requests', () => {
    const results = run(0.2, 500, 2);
    expect(results.every((r) => r.outcome === 'rolled-back')).toBe(true);
    expect(Math.max(...results.map((r) => r.failedServed))).toBeLessThanOrEqual(20);
  });

  it('cuts canaries failing 1% (ten times stable) too, if more slowly', () => {
    const results = run(0.01, 200, 3);
    expect(results.filter((r) => r.outcome === 'rolled-back').length / results.length).toBeGreaterThanOrEqual(0.95);
  });
});
