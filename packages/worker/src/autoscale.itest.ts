import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QueueAutoscaler, RabbitMqDepth, type ScalingPolicy } from './autoscale/index.js';
import { readStats } from './stats/index.js';
import { infra, mapLimit, versionsByKey, waitFor } from '../test/support/infra.js';
import { scenario, type Scenario } from '../test/support/scenario.js';
import { ProcessScaleTarget } from '../test/support/worker-processes.js';

let current: Scenario | undefined;
const scalers: QueueAutoscaler[] = [];
afterEach(async () => {
  await Promise.all(scalers.splice(0).map((s) => s.stop()));
  await current?.dispose();
  current = undefined;
});

const normalPolicy: ScalingPolicy = {
  minReplicas: 1,
  maxReplicas: 5,
  tasksPerReplica: 250,
  prefetch: 4,
  maxStepUp: 2,
  maxStepDown: 2,
  cooldownMs: 8_000,
};
const fallbackPolicy: ScalingPolicy = {
  minReplicas: 0,
  maxReplicas: 2,
  tasksPerReplica: 10,
  prefetch: 4,
  maxStepUp: 1,
  maxStepDown: 1,
  cooldownMs: 8_000,
};

describe('autoscaling worker processes on queue depth', () => {
  it('scales the normal class up for a burst within bounds, wakes the fallback class only for an escalated task, and drains back to the minimum', async () => {
    // Limits far from what the burst's tasks need, so that only the one slow task escalates.
    const s = (current = await scenario(
      'autoscale',
      { SWITCHYARD_PREFETCH: '4', SWITCHYARD_TASK_TIMEOUT: '5s', SWITCHYARD_SHUTDOWN_GRACE: '40s' },
      false,
    ));
    const normal = new ProcessScaleTarget(s.processes, 'normal');
    const fallback = new ProcessScaleTarget(s.processes, 'fallback', { SWITCHYARD_TASK_TIMEOUT: '30s' });
    await normal.scaleTo(1);
    const depth = new RabbitMqDepth({ amqpUrl: infra.amqpUrl(), managementUrl: infra.mgmtUrl() });
    const decisions: Array<{ cls: string; at: number; desired: number; current: number }> = [];
    for (const [cls, queue, policy, target] of [
      ['normal', s.queue, normalPolicy, normal],
      ['fallback', `${s.queue}.fallback`, fallbackPolicy, fallback],
    ] as const) {
      const scaler = new QueueAutoscaler({
        queue,
        policy,
        source: depth,
        target,
        intervalMs: 1_000,
        onDecision: (d) => decisions.push({ cls, at: d.at, desired: d.desired, current: d.current }),
      });
      scalers.push(scaler);
      scaler.start();
    }

    const producer = await s.producer();
    const ids = Array.from({ length: 5_000 }, (_, i) => `burst-${i}`);
    await mapLimit(ids, 64, (id) => producer.submit({ kind: 'slow', ms: 10 }, { id }));
    await waitFor('the normal class to scale up', () => normal.history.some((h) => h.replicas > 1), 60_000);
    await waitFor(
      'the burst to be mostly done',
      async () => (await versionsByKey(s.s3, s.bucket, 'run/outputs/')).size >= 4_000,
      240_000,
      1_000,
    );
    expect(fallback.history).toEqual([]);

    // One task too slow for the normal class: escalated, it wakes the fallback class.
    const escalatedAt = Date.now();
    await producer.submit({ kind: 'slow', ms: 6_000 }, { id: 'too-slow' });
    await waitFor('the fallback class to wake', () => fallback.history.some((h) => h.replicas === 1), 60_000);
    await waitFor(
      'every output',
      async () => (await versionsByKey(s.s3, s.bucket, 'run/outputs/')).size === ids.length + 1,
      120_000,
      1_000,
    );
    await waitFor(
      'both classes back to their minimum',
      async () => (await normal.current()).replicas === 1 && (await fallback.current()).replicas === 0,
      120_000,
      500,
    );
    await Promise.all(scalers.splice(0).map((sc) => sc.stop()));
    await Promise.all(s.processes.all.filter((p) => p.draining).map((p) => p.exited));

    // Within bounds, in bounded steps; the fallback class woke only after the escalation.
    const normalCounts = [1, ...normal.history.map((h) => h.replicas)];
    expect(Math.max(...normalCounts)).toBeGreaterThan(1);
    expect(Math.max(...normalCounts)).toBeLessThanOrEqual(normalPolicy.maxReplicas);
    for (let i = 1; i < normalCounts.length; i++) {
      const step = (normalCounts[i] as number) - (normalCounts[i - 1] as number);
      expect(step).toBeLessThanOrEqual(normalPolicy.maxStepUp);
      expect(step).toBeGreaterThanOrEqual(-normalPolicy.maxStepDown);
    }
    expect(fallback.history[0]?.at).toBeGreaterThanOrEqual(escalatedAt);
    expect(decisions.filter((d) => d.cls === 'fallback' && d.at < escalatedAt).every((d) => d.desired === 0)).toBe(
      true,
    );

    // Scaling down drained replicas: each stopped by itself, with no task cut short.
    const drained = s.processes.all.filter((p) => p.draining);
    expect(drained.length).toBeGreaterThan(0);
    for (const p of drained) {
      expect(await p.exited).toEqual({ code: 0, signal: null });
      expect(p.stopped?.requeued).toBe(0);
    }
    const stats = await readStats(
      readdirSync(s.logDir)
        .filter((f) => f.startsWith('stats-'))
        .map((f) => join(s.logDir, f)),
    );
    expect(stats.filter((st) => st.outcome === 'interrupted')).toEqual([]);
    expect(stats.filter((st) => st.class === 'fallback').map((st) => st.taskId)).toEqual(['too-slow']);
    const versions = await versionsByKey(s.s3, s.bucket, 'run/outputs/');
    expect([...versions.values()].every((v) => v === 1)).toBe(true);
  });
});
