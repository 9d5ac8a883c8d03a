/**
 * Every default of the service and environment files, in one place. The schema reads its
 * scalar defaults from here; `resolve` reads the ones that depend on other fields.
 */
export const DEFAULTS = {
  apiVersion: 'switchyard.dev/v1',
  minReplicasPerTrack: 2,
  trackReplicas: 2,
  /** Bitmovin's four tracks, in release order; the last one is the stable track. */
  tracks: ['internal', 'free', 'paid', 'production'],
  groupHeader: 'X-Traffic-Group',
  userKeyHeader: 'X-User-Id',
  /** The group a request without a (known) group header is treated as. */
  defaultGroup: 'free',
  /** A fresh canary stage sends this share of a group's users to its canary track. */
  canaryShare: 5,
  /** Groups that exist when a service lists none; tracks they name must exist to be kept. */
  groups: {
    internal: { track: 'internal' },
    free: { canaryTrack: 'free', share: 5 },
    paid: { canaryTrack: 'paid', share: 5 },
    enterprise: { canary: false },
  },
  routerReplicas: 4,
  /**
   * The official HAProxy image: built with the Prometheus exporter, runs as uid 99 and reads
   * /usr/local/etc/haproxy, which is all a router pod needs (the Runtime API is reached on the
   * pod's loopback through a port-forward, with no client in the image).
   */
  routerImage: 'docker.io/library/haproxy:2.8.10',
  routerResources: { cpu: '250m', memory: '128Mi' },
  port: 8080,
  probe: { periodSeconds: 5, timeoutSeconds: 1, failureThreshold: 3, initialDelaySeconds: 0 },
  /** Limits when a service sets only requests: memory is capped at the request, CPU at twice it. */
  cpuLimitFactor: 2,
  memoryLimitFactor: 1,
  nodePoolCapacity: 'on-demand',
  worker: {
    prefetch: 1,
    normalReplicas: { min: 2, max: 20 },
    fallbackReplicas: { min: 0, max: 4 },
    retry: { attempts: 5, initialDelay: '1s', maxDelay: '5m' },
    tasksPerReplica: 20,
    cooldown: '60s',
  },
  autoscalingCpuTarget: 70,
  release: {
    stageDuration: '5m',
    /**
     * The canary judged against the stable track on every counter update: rolled back as soon as
     * the evidence is enough (at most 1% of good canaries), passed once it is (at most 5% of
     * canaries twice as failing and a point above stable). The ratio cap guards the stable stage.
     */
    gates: [
      {
        metric: 'errors-vs-stable',
        falseRollback: 0.01,
        missedRegression: 0.05,
        regression: { factor: 2, margin: 0.01 },
      },
      { metric: 'error-ratio', max: 0.05 },
    ],
    sequential: { falseRollback: 0.01, missedRegression: 0.05, regression: { factor: 2, margin: 0.01 } },
    /** Gates are read this often: sequential gates judge every update, so often is better. */
    interval: '1s',
    minRequests: 50,
    inconclusiveAfter: '10m',
    /** A migration moves this much traffic off the legacy backend at each stage. */
    migrationLegacyShares: [99, 75, 50, 0],
  },
  terminationGraceSeconds: 30,
  /** The user app containers run as: the example apps image's (a named USER cannot be checked as non-root). */
  runAs: { user: 10001, group: 10001 },
  runtime: 'local',
  local: { host: '127.0.0.1', routerPort: 8080, statsPort: 8400, apiPort: 7070 },
  namespace: 'default',
  ingressClass: 'haproxy',
} as const;
