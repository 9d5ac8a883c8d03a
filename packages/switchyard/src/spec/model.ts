import type { AlertsConfig } from './alerting.js';
/**
 * The resolved model: a service or worker with every default applied, quantities parsed
 * and cross-references checked. Everything after `spec` (render, policy, router, releases)
 * reads only this.
 */

export interface Resources {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
  readonly cpuLimitMillis: number;
  readonly memoryLimitBytes: number;
}

export interface Probe {
  readonly kind: 'http' | 'exec' | 'tcp';
  readonly path?: string;
  readonly exec?: readonly string[];
  readonly port: number;
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly failureThreshold: number;
  readonly initialDelaySeconds: number;
}

export interface Track {
  readonly name: string;
  readonly replicas: number;
  readonly version: string;
  readonly stable: boolean;
}

export interface TrafficGroup {
  readonly name: string;
  /** Every request of the group goes to this track. */
  readonly pinnedTrack?: string;
  /** Where the group's canary share goes. */
  readonly canaryTrack?: string;
  /** Percentage (0–100, 0.01 steps) of the group's users on canaryTrack. */
  readonly share: number;
  /** False for groups that must never see a canary (enterprise). */
  readonly canaryAllowed: boolean;
}

export type UserKey = { readonly header: string } | { readonly cookie: string };

export interface Traffic {
  readonly groupHeader: string;
  readonly defaultGroup: string;
  readonly userKey: UserKey;
  readonly groups: readonly TrafficGroup[];
}

export interface NodePool {
  /** `cores:GiB`, e.g. `1:4`. */
  readonly class?: string;
  /** A dedicated pool: its nodes carry the pool's label and taint. */
  readonly name?: string;
  readonly capacity: 'on-demand' | 'spot' | 'any';
}

export interface ScheduleWindow {
  readonly name: string;
  readonly cron: string;
  readonly durationMs: number;
  readonly minReplicas: number;
  readonly timezone: string;
}

export interface Autoscaling {
  readonly cpu?: { readonly targetUtilization: number; readonly min: number; readonly max: number };
  readonly schedule: readonly ScheduleWindow[];
}

export interface Router {
  readonly replicas: number;
  readonly image: string;
  readonly resources: Resources;
  readonly nodePool: NodePool;
}

/** Which percentiles of the stable track's response times a latency gate compares the canary with. */
export type LatencyComparison = 'p99' | 'distribution';

export const LATENCY_PERCENTILES: Readonly<Record<LatencyComparison, readonly number[]>> = {
  p99: [0.99],
  distribution: [0.5, 0.9, 0.99],
};

export type Gate =
  | {
      /** The sequential comparison of the stage's error ratio with the stable track's (release/judge). */
      readonly metric: 'errors-vs-stable';
      readonly falseRollback: number;
      readonly missedRegression: number;
      readonly regression: { readonly factor: number; readonly margin: number };
    }
  | {
      /**
       * Response times judged as a distribution against the stable track's (release/judge): the
       * canary's answers slower than the stable track's 99th percentile (`p99`), or than its 50th,
       * 90th and 99th (`distribution`), counted like failures by the same sequential test.
       */
      readonly metric: 'latency-vs-stable';
      readonly compare: LatencyComparison;
      readonly falseRollback: number;
      readonly missedRegression: number;
      readonly regression: { readonly factor: number; readonly margin: number };
    }
  | { readonly metric: 'error-ratio'; readonly max: number }
  | { readonly metric: 'error-ratio-vs-stable'; readonly max: number }
  | { readonly metric: 'response-time'; readonly maxMs: number }
  | {
      readonly metric: 'prometheus';
      readonly name: string;
      readonly query: string;
      readonly max?: number;
      readonly min?: number;
    };

/** One stage of a release plan. */
export interface Stage {
  readonly name: string;
  /** The track that runs the new version from this stage on. */
  readonly track?: string;
  /** Canary share per group while the stage runs. */
  readonly shares: Readonly<Record<string, number>>;
  /** Share still on the legacy backend while the stage runs (migrations). */
  readonly legacyShare?: number;
  readonly durationMs: number;
  readonly approval: boolean;
  readonly gates: readonly Gate[];
}

export interface ReleasePolicy {
  /** `default`, `migration` (services with a legacy backend) and the service's own plans. */
  readonly plans: Readonly<Record<string, readonly Stage[]>>;
  readonly minRequests: number;
  readonly intervalMs: number;
  readonly inconclusiveAfterMs: number;
  readonly prometheusUrl?: string;
}

export interface Legacy {
  readonly address: string;
  readonly share: number;
  readonly tls: boolean;
}

interface UnitBase {
  readonly name: string;
  readonly env: string;
  readonly namespace: string;
  /** The file the unit was described in, relative to the configuration directory. */
  readonly file: string;
  readonly description?: string;
  readonly team: string;
  readonly product?: string;
  readonly costCenter?: string;
  readonly image?: string;
  readonly command?: readonly string[];
  readonly version: string;
  readonly envVars: Readonly<Record<string, string>>;
  readonly nodePool: NodePool;
  readonly labels: Readonly<Record<string, string>>;
  /** Policy rule id → reason. */
  readonly exemptions: Readonly<Record<string, string>>;
  readonly terminationGraceSeconds: number;
  /** Numeric user and group the app container runs as. */
  readonly runAs: { readonly user: number; readonly group: number };
}

export interface Service extends UnitBase {
  readonly kind: 'Service';
  readonly port: number;
  readonly resources: Resources;
  readonly probes: { readonly readiness?: Probe; readonly liveness?: Probe; readonly startup?: Probe };
  readonly minReplicasPerTrack: number;
  /** In release order; exactly one is stable. */
  readonly tracks: readonly Track[];
  readonly stableTrack: string;
  readonly traffic: Traffic;
  readonly legacy?: Legacy;
  readonly autoscaling?: Autoscaling;
  readonly router: Router;
  readonly hosts: readonly string[];
  readonly release: ReleasePolicy;
}

export interface WorkerClass {
  readonly name: 'normal' | 'fallback';
  readonly queue: string;
  readonly resources: Resources;
  readonly timeoutMs: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
}

export interface Worker extends UnitBase {
  readonly kind: 'Worker';
  readonly queue: {
    readonly name: string;
    readonly fallback: string;
    readonly deadLetter: string;
    readonly prefetch: number;
  };
  readonly normal: WorkerClass;
  readonly fallback?: WorkerClass;
  readonly retry: { readonly attempts: number; readonly initialDelayMs: number; readonly maxDelayMs: number };
  readonly scaling: { readonly tasksPerReplica: number; readonly cooldownMs: number; readonly keda: boolean };
  readonly storageUrl?: string;
}

export type Unit = Service | Worker;

export interface FreezeWindow {
  readonly name: string;
  readonly from: string;
  readonly to: string;
  readonly timezone: string;
}

export interface LocalSettings {
  readonly host: string;
  readonly routerPort: number;
  readonly statsPort: number;
  readonly apiPort: number;
  readonly ports: Readonly<Record<string, number>>;
}

export interface Environment {
  readonly name: string;
  readonly local: LocalSettings;
  readonly file?: string;
  readonly runtime: 'local' | 'kubernetes';
  readonly cluster?: { readonly context: string; readonly namespace: string; readonly identity?: string };
  readonly namespace: string;
  readonly protected: boolean;
  readonly registry?: string;
  readonly ingressClass: string;
  readonly freezes: readonly FreezeWindow[];
  /** Alert rules, repeat interval and receivers; the built-in rules when the file has none. */
  readonly alerts: AlertsConfig;
}

/** One environment's view of the whole configuration. */
export interface Fleet {
  readonly dir: string;
  readonly environment: Environment;
  /** Sorted by name. */
  readonly units: readonly Unit[];
}
