import type { Logger } from '../observability/log.js';
import {
  decideReplicas,
  EMPTY_SCALER_STATE,
  type QueueDepth,
  type ScaleDecision,
  type ScalerState,
  type ScalingPolicy,
} from './decide.js';
import type { QueueDepthSource, ScaleTarget } from './ports.js';

export interface AutoscalerOptions {
  readonly queue: string;
  readonly policy: ScalingPolicy;
  readonly source: QueueDepthSource;
  readonly target: ScaleTarget;
  readonly intervalMs?: number;
  readonly log?: Logger;
  readonly now?: () => number;
  /** Every decision, changed or not (for logs, tests and the benchmark). */
  readonly onDecision?: (
    decision: ScaleDecision & { readonly current: number; readonly depth: QueueDepth; readonly at: number },
  ) => void;
}

/** Reads a queue's depth on an interval and drives a scale target with `decideReplicas`. */
export class QueueAutoscaler {
  private state: ScalerState = EMPTY_SCALER_STATE;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(private readonly options: AutoscalerOptions) {}

  start(): void {
    this.stopped = false;
    const loop = () => {
      if (this.stopped) return;
      this.running = this.tick()
        .then(() => undefined)
        .catch((err: unknown) => this.options.log?.warn('autoscaler tick failed', { queue: this.options.queue, err }))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.options.intervalMs ?? 1_000);
        });
    };
    loop();
  }

  async tick(): Promise<ScaleDecision> {
    const now = (this.options.now ?? Date.now)();
    const depth = await this.options.source.depth(this.options.queue);
    const { replicas: current } = await this.options.target.current();
    const decision = decideReplicas(this.options.policy, depth, current, this.state, now);
    this.state = decision.state;
    this.options.onDecision?.({ ...decision, current, depth, at: now });
    if (decision.desired !== current) {
      this.options.log?.info('scaling', {
        queue: this.options.queue,
        from: current,
        to: decision.desired,
        reason: decision.reason,
      });
      await this.options.target.scaleTo(decision.desired);
    }
    return decision;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
