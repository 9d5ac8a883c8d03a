/**
 * Replicas per worker class from the queue's depth. Pure: the controller feeds it samples
 * and keeps its state; tests feed it sequences.
 */
export interface ScalingPolicy {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Backlog one replica is expected to hold (the spec's scaling.tasksPerReplica). */
  readonly tasksPerReplica: number;
  /** Tasks one replica holds at once: a replica with unacknowledged tasks is busy. */
  readonly prefetch: number;
  /** Most replicas added in one decision. */
  readonly maxStepUp: number;
  /** Most replicas removed in one decision. */
  readonly maxStepDown: number;
  /** Scale down only to the highest recommendation of this window (Kubernetes' stabilisation window). */
  readonly cooldownMs: number;
}

/** One reading of a queue. */
export interface QueueDepth {
  readonly ready: number;
  readonly unacked: number;
  /** Messages published per second (0 when unknown). */
  readonly publishRate: number;
  /** Messages acknowledged per second by all replicas (0 when unknown). */
  readonly ackRate: number;
}

export interface ScalerState {
  /** Recent raw recommendations, newest last, within the cool-down window. */
  readonly recent: ReadonlyArray<{ readonly at: number; readonly replicas: number }>;
  readonly lastChangeAt?: number;
}

export interface ScaleDecision {
  readonly desired: number;
  /** What the backlog alone asks for, before bounds, steps and cool-down. */
  readonly recommended: number;
  readonly reason: string;
  readonly state: ScalerState;
}

export const EMPTY_SCALER_STATE: ScalerState = { recent: [] };

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}

/**
 * The backlog is ready + unacknowledged: counting ready messages only (a known KEDA pitfall)
 * sees an empty queue while every replica is busy, and scales busy replicas away.
 */
export function recommendReplicas(
  policy: ScalingPolicy,
  depth: QueueDepth,
  current: number,
): { replicas: number; why: string } {
  const backlog = depth.ready + depth.unacked;
  const byBacklog = Math.ceil(backlog / policy.tasksPerReplica);
  // Enough replicas to keep up with arrivals at the throughput each replica shows now.
  const perReplica = current > 0 && depth.ackRate > 0 ? depth.ackRate / current : 0;
  const byRate = backlog > 0 && perReplica > 0 ? Math.ceil(depth.publishRate / perReplica) : 0;
  // Never ask a replica that holds tasks to stop: it would have to drain mid-burst.
  const busy = Math.ceil(depth.unacked / policy.prefetch);
  const wake = backlog > 0 ? 1 : 0;
  const replicas = Math.max(byBacklog, byRate, busy, wake);
  return {
    replicas,
    why: `backlog ${backlog} (${depth.ready} ready + ${depth.unacked} unacked) → ${byBacklog}, rate ${depth.publishRate.toFixed(1)}/s → ${byRate}, busy → ${busy}`,
  };
}

export function decideReplicas(
  policy: ScalingPolicy,
  depth: QueueDepth,
  current: number,
  state: ScalerState,
  now: number,
): ScaleDecision {
  const { replicas: raw, why } = recommendReplicas(policy, depth, current);
  const recommended = clamp(raw, policy.minReplicas, policy.maxReplicas);
  const recent = [...state.recent.filter((r) => now - r.at < policy.cooldownMs), { at: now, replicas: recommended }];
  const next: ScalerState = { ...state, recent };
  if (current < policy.minReplicas || current > policy.maxReplicas) {
    const desired = clamp(current, policy.minReplicas, policy.maxReplicas);
    return {
      desired,
      recommended,
      reason: `${current} is outside ${policy.minReplicas}..${policy.maxReplicas}`,
      state: { ...next, lastChangeAt: now },
    };
  }
  if (recommended > current) {
    const desired = Math.min(recommended, current + policy.maxStepUp);
    return { desired, recommended, reason: `scale up: ${why}`, state: { ...next, lastChangeAt: now } };
  }
  // Down only to the highest recommendation of the cool-down window, and a bounded step at a time.
  const stable = Math.max(...recent.map((r) => r.replicas));
  if (stable < current) {
    const desired = Math.max(stable, current - policy.maxStepDown);
    return { desired, recommended, reason: `scale down: ${why}`, state: { ...next, lastChangeAt: now } };
  }
  return {
    desired: current,
    recommended,
    reason: recommended < current ? `hold (cool-down): ${why}` : `hold: ${why}`,
    state: next,
  };
}
