import { describe, expect, it } from 'vitest';
import {
  decideReplicas,
  EMPTY_SCALER_STATE,
  recommendReplicas,
  type QueueDepth,
  type ScalerState,
  type ScalingPolicy,
} from './decide.js';

const normal: ScalingPolicy = {
  minReplicas: 2,
  maxReplicas: 30,
  tasksPerReplica: 10,
  prefetch: 1,
  maxStepUp: 4,
  maxStepDown: 2,
  cooldownMs: 60_000,
};
const fallback: ScalingPolicy = { ...normal, minReplicas: 0, maxReplicas: 6 };
const depth = (ready: number, unacked = 0, publishRate = 0, ackRate = 0): QueueDepth => ({
  ready,
  unacked,
  publishRate,
  ackRate,
});

/** Feeds samples one per `everyMs`, applying each decision: the replica counts over time. */
function run(policy: ScalingPolicy, samples: QueueDepth[], start: number, everyMs = 5_000): number[] {
  let current = start;
  let state: ScalerState = EMPTY_SCALER_STATE;
  return samples.map((d, i) => {
    const decision = decideReplicas(policy, d, current, state, i * everyMs);
    state = decision.state;
    current = decision.desired;
    return current;
  });
}

describe('recommendReplicas', () => {
  it('counts unacknowledged messages as backlog (ready only would see busy replicas as idle)', () => {
    expect(recommendReplicas(normal, depth(0, 8), 8).replicas).toBe(8);
    expect(recommendReplicas(normal, depth(95, 5), 5).replicas).toBe(10);
  });

  it('keeps up with the arrival rate at the throughput replicas show', () => {
    // 4 replicas ack 8/s in all (2/s each); 20/s arrive → 10 replicas.
    expect(recommendReplicas(normal, depth(10, 4, 20, 8), 4).replicas).toBe(10);
  });

  it('wakes a class at zero for a single message', () => {
    expect(recommendReplicas(fallback, depth(1), 0).replicas).toBe(1);
    expect(recommendReplicas(fallback, depth(0), 0).replicas).toBe(0);
  });
});

describe('decideReplicas', () => {
  it('scales a burst up in bounded steps, never above the maximum', () => {
    const counts = run(
      normal,
      Array.from({ length: 10 }, () => depth(5_000)),
      2,
    );
    expect(counts).toEqual([6, 10, 14, 18, 22, 26, 30, 30, 30, 30]);
  });

  it('scales down only after the cool-down, in bounded steps, to the minimum', () => {
    const samples = [depth(300), ...Array.from({ length: 30 }, () => depth(0))];
    const counts = run(normal, samples, 30);
    // Held at 30 for the 60 s window after the last busy sample, then 2 fewer per step.
    expect(counts.slice(0, 12).every((c) => c === 30)).toBe(true);
    expect(counts.slice(12, 27)).toEqual([28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 2]);
  });

  it('never scales below the replicas that hold tasks', () => {
    const counts = run(normal, [depth(0, 12), depth(0, 12), depth(0, 12)], 12, 120_000);
    expect(counts).toEqual([12, 12, 12]);
  });

  it('keeps the fallback class at zero until a task arrives, then back to zero when idle', () => {
    const samples = [depth(0), depth(0), depth(1), depth(0, 1), ...Array.from({ length: 16 }, () => depth(0))];
    const counts = run(fallback, samples, 0);
    expect(counts.slice(0, 4)).toEqual([0, 0, 1, 1]);
    expect(counts[counts.length - 1]).toBe(0);
  });

  it('brings a count outside the bounds back inside at once', () => {
    expect(decideReplicas(normal, depth(0), 40, EMPTY_SCALER_STATE, 0).desired).toBe(30);
    expect(decideReplicas(normal, depth(0), 0, EMPTY_SCALER_STATE, 0).desired).toBe(2);
  });

  it('keeps its state serialisable', () => {
    const decision = decideReplicas(normal, depth(100), 2, EMPTY_SCALER_STATE, 1_000);
    expect(JSON.parse(JSON.stringify(decision.state))).toEqual(decision.state);
  });
});
