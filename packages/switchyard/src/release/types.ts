import type { RoutingState } from '../router/index.js';
import type { Gate, Stage } from '../spec/index.js';
import type { ErrorEvidence, Histogram } from './judge/index.js';

/** Everything here is plain, serialisable data: the state and its commands survive a JSON round trip. */

export type ReleaseStatus = 'running' | 'paused' | 'rolling-back' | 'succeeded' | 'rolled-back' | 'aborted' | 'failed';

export type Phase = 'applying' | 'observing' | 'awaiting-approval' | 'finishing' | 'reverting' | 'done';

export const ACTIVE_STATUSES: readonly ReleaseStatus[] = ['running', 'paused', 'rolling-back'];

/** Cumulative counters of one track, as the router reports them. */
export interface TrackCounters {
  readonly requests: number;
  /** 5xx answers users got (the router's own 502/503/504 included). */
  readonly errors: number;
  /** Average response time over the recent requests, ms. */
  readonly responseTimeMs: number;
  /** Answers by response time, cumulative buckets in seconds (the router's latency table), when read. */
  readonly latency?: Histogram;
}

export interface Measurement {
  readonly tracks: Readonly<Record<string, TrackCounters>>;
  /** Prometheus gate name → value (null when the query returned nothing). */
  readonly prometheus?: Readonly<Record<string, number | null>>;
}

export interface GateResult {
  readonly gate: string;
  readonly value: number | null;
  readonly threshold: string;
  readonly ok: boolean;
  /** A sequential gate's verdict in words: observed rates, evidence, what a decision needs. */
  readonly detail?: string;
  /** A sequential gate's evidence so far, as log-likelihood ratios of a regression over none. */
  readonly evidence?: {
    readonly canary: { readonly requests: number; readonly errors: number };
    readonly stable: { readonly requests: number; readonly errors: number };
    /** From which track each failure came, given the split. */
    readonly relative: number;
    /** From the canary's own requests against the stable track's ratio. */
    readonly absolute: number;
    /** Both at or above: rolled back. */
    readonly failAt: number;
    /** Either at or below: passed. */
    readonly passAt: number;
  };
}

/** Where the sequential gates of the current stage stand: the counters last seen and each gate's evidence. */
export interface Judgement {
  readonly last: Readonly<Record<string, TrackCounters>>;
  /** One entry per errors-vs-stable gate of the stage, in order. */
  readonly evidence: readonly ErrorEvidence[];
  /** Per latency-vs-stable gate of the stage, in order: one entry per percentile it judges. */
  readonly latency?: readonly (readonly ErrorEvidence[])[];
}

export interface Verdict {
  readonly at: string;
  readonly stage: string;
  readonly outcome: 'pass' | 'fail' | 'inconclusive';
  /** Requests the judged track answered since the stage began. */
  readonly requests: number;
  readonly gates: readonly GateResult[];
  readonly summary: string;
}

export type Command =
  | { readonly kind: 'set-track'; readonly track: string; readonly version: string }
  | { readonly kind: 'set-share'; readonly group: string; readonly share: number }
  | { readonly kind: 'route-group'; readonly group: string; readonly track: string }
  | { readonly kind: 'set-legacy-share'; readonly share: number }
  | { readonly kind: 'record'; readonly message: string }
  | { readonly kind: 'snapshot' }
  | { readonly kind: 'measure' }
  | { readonly kind: 'notify'; readonly level: 'info' | 'warning' | 'error'; readonly message: string };

export interface SequencedCommand {
  readonly seq: number;
  readonly command: Command;
}

export type ReleaseEvent =
  | { readonly type: 'start'; readonly at: string }
  | {
      readonly type: 'command-done';
      readonly at: string;
      readonly seq: number;
      readonly result?: Measurement;
      /** Set on a measurement taken during a freeze window: a passing stage waits instead of advancing. */
      readonly hold?: string;
    }
  | { readonly type: 'command-failed'; readonly at: string; readonly seq: number; readonly error: string }
  | { readonly type: 'tick'; readonly at: string }
  | { readonly type: 'approve'; readonly at: string; readonly by: string }
  | { readonly type: 'promote'; readonly at: string; readonly by: string }
  | { readonly type: 'pause'; readonly at: string; readonly by: string }
  | { readonly type: 'resume'; readonly at: string; readonly by: string }
  | { readonly type: 'abort'; readonly at: string; readonly by: string; readonly reason: string }
  | { readonly type: 'rollback'; readonly at: string; readonly by: string; readonly reason: string };

export type Action = 'approve' | 'promote' | 'pause' | 'resume' | 'abort' | 'rollback';

export interface ReleaseSettings {
  readonly minRequests: number;
  readonly intervalMs: number;
  readonly inconclusiveAfterMs: number;
}

export interface ReleaseState {
  readonly id: string;
  readonly service: string;
  readonly environment: string;
  readonly version: string;
  readonly plan: string;
  readonly stages: readonly Stage[];
  readonly settings: ReleaseSettings;
  readonly stableTrack: string;
  /** Groups routed whole to one track (internal → internal): moved to stable when reverting. */
  readonly pinned: Readonly<Record<string, string>>;
  /** Group → its canary track. */
  readonly canaryTracks: Readonly<Record<string, string>>;
  /** What ran before the release: where a revert returns. */
  readonly from: { readonly versions: Readonly<Record<string, string>>; readonly routing: RoutingState };
  readonly status: ReleaseStatus;
  readonly phase: Phase;
  readonly stage: number;
  /** Tracks given the new version so far. */
  readonly applied: readonly string[];
  readonly observingSince?: string;
  readonly lastMeasuredAt?: string;
  readonly baseline?: Measurement;
  readonly judgement?: Judgement;
  /** Commands emitted and not yet done. */
  readonly awaiting: readonly { readonly seq: number; readonly kind: Command['kind'] }[];
  readonly nextSeq: number;
  readonly verdicts: readonly Verdict[];
  /** What ended or is ending the release, in words. */
  readonly outcome?: string;
  /** Status once the revert completes. */
  readonly revertTo?: 'rolled-back' | 'aborted';
  readonly createdBy: string;
  readonly reason: string;
  /**
   * An approval given before its stage waited for it (the next stage that needs one, by index):
   * that stage advances once it passes instead of waiting.
   */
  readonly approvedAhead?: { readonly stage: number; readonly by: string; readonly at: string };
}

export interface Transition {
  readonly state: ReleaseState;
  readonly commands: readonly SequencedCommand[];
  /** Set when the event did not apply (e.g. promote while reverting): the API answers with it. */
  readonly refused?: string;
}

export type { Gate, Stage };
