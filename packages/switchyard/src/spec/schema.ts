import { DURATION_EXAMPLES, parseCpu, parseDuration, parseMemory } from '@switchyard/worker/units';
import { z } from 'zod';
import { CHECKS, DEFAULT_REPEAT, RECEIVER_TYPES, SEVERITIES } from './alerting.js';
import { DEFAULTS } from './defaults.js';
import { parseCron } from './cron.js';
import { timezoneProblem } from './timezone.js';

/**
 * The shape of service, worker and environment files. This schema checks each file on its
 * own (types, ranges, unknown keys); `resolve` then checks what spans fields and files
 * (a group naming a track that does not exist, a share on a never-canary group…).
 */

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Service names leave room for the longest suffix Switchyard appends (`-fallback`, `-router`). */
export const resourceName = z
  .string()
  .max(40, { error: 'must be at most 40 characters (Switchyard appends track names to it)' })
  .regex(DNS_LABEL, { error: 'must be lowercase letters, digits and dashes, starting with a letter (a DNS label)' });

export const trackName = z
  .string()
  .max(20, { error: 'must be at most 20 characters' })
  .regex(DNS_LABEL, { error: 'must be lowercase letters, digits and dashes, starting with a letter' });

export const groupName = z
  .string()
  .max(40, { error: 'must be at most 40 characters' })
  .regex(/^[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/, {
    error: 'must be lowercase letters, digits, dashes or underscores (header values are matched lowercased)',
  });

const labelValue = z
  .string()
  .max(63, { error: 'must be at most 63 characters (a Kubernetes label value)' })
  .regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/, {
    error: 'must be letters, digits, dashes, dots or underscores (a Kubernetes label value)',
  });

export const version = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, {
  error: 'must be an image tag: letters, digits, `.`, `_`, `-`, at most 128 characters',
});

/** An image repository without its tag: the tag is the track's version. */
const image = z.string().regex(/^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/, {
  error:
    'must be an image repository without a tag or digest, e.g. registry.example.com/video/catalog-api (the version is set per track)',
});

const cpu = z
  .union([z.string(), z.number()])
  .refine(
    (v) => {
      const m = parseCpu(v);
      return m !== undefined && m > 0;
    },
    { error: 'must be a positive CPU quantity such as 250m, 0.5 or 2' },
  )
  .meta({ description: 'CPU: cores (0.5, 2) or millicores (250m)', examples: ['250m', 1] });

const memory = z
  .union([z.string(), z.number()])
  .refine(
    (v) => {
      const b = parseMemory(v);
      return b !== undefined && b > 0;
    },
    { error: 'must be a positive memory quantity such as 256Mi, 1Gi or 500M' },
  )
  .meta({ description: 'Memory: bytes with a suffix (Ki, Mi, Gi, or k, M, G)', examples: ['256Mi', '1Gi'] });

const duration = z.string().refine((v) => parseDuration(v) !== undefined, {
  error: (issue) => `must be a duration such as ${DURATION_EXAMPLES}, not "${String(issue.input)}"`,
});

/** Reports a problem the types cannot express, with its own message and hint (see issuesFromZod). */
function problem<T>(code: string, find: (value: T) => { message: string; hint: string } | undefined) {
  return (value: T, ctx: z.RefinementCtx<T>) => {
    const found = find(value);
    if (found)
      ctx.addIssue({ code: 'custom', message: found.message, params: { code, hint: found.hint }, input: value });
  };
}

/**
 * Durations where 0 would mean a busy loop (gate interval), a verdict before any traffic
 * (stage, inconclusiveAfter), a gate nothing passes (response time) or a task or window
 * given no time. Retry delays and the scaling cooldown keep 0: retrying or scaling in at once is a choice.
 */
const positiveDuration = duration.superRefine(
  problem('not_positive', (v: string) =>
    parseDuration(v) === 0
      ? { message: `must be longer than 0 (got "${v}")`, hint: 'Give it a length such as 500ms, 20s or 5m.' }
      : undefined,
  ),
);

const timezone = z.string().superRefine(problem('unknown_timezone', timezoneProblem)).default('UTC');

const FIVE_FIELDS = /^(\S+\s+){4}\S+$/;

const cron = z
  .string()
  .regex(FIVE_FIELDS, { error: 'must be a five-field cron expression, e.g. "30 19 * * *"' })
  // Syntax and dates that never come are the same in every time zone; the window's own zone is checked on its own.
  .superRefine(
    problem('invalid_cron', (v: string) => {
      const checked = FIVE_FIELDS.test(v) ? parseCron(v, 'UTC') : undefined;
      return checked && !checked.ok ? checked : undefined;
    }),
  );

const percent = z
  .number({ error: 'must be a number between 0 and 100' })
  .min(0, { error: 'must be between 0 and 100 (a percentage)' })
  .max(100, { error: 'must be between 0 and 100 (a percentage)' })
  .refine((v) => Math.abs(v * 100 - Math.round(v * 100)) < 1e-9, {
    error: 'must have at most two decimals (0.01% steps)',
  });

const port = z
  .number({ error: 'must be a port number' })
  .int({ error: 'must be a whole number' })
  .min(1, { error: 'must be between 1 and 65535' })
  .max(65535, { error: 'must be between 1 and 65535' });

const replicas = (min: number) =>
  z
    .number({ error: 'must be a whole number of replicas' })
    .int({ error: 'must be a whole number of replicas' })
    .min(min, { error: `must be at least ${min}` })
    .max(1000, { error: 'must be at most 1000' });

const headerName = z
  .string()
  .regex(/^[A-Za-z0-9-]+$/, { error: 'must be an HTTP header name (letters, digits, dashes)' });

const envVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be an environment variable name' });

const resources = z.strictObject({
  cpu: cpu.meta({ description: 'CPU request per replica' }),
  memory: memory.meta({ description: 'Memory request per replica' }),
  limits: z
    .strictObject({ cpu: cpu.optional(), memory: memory.optional() })
    .optional()
    .meta({
      description: `Limits; by default memory is capped at its request and CPU at ${DEFAULTS.cpuLimitFactor}× its request`,
    }),
});

const probe = z
  .strictObject({
    path: z.string().startsWith('/', { error: 'must be an HTTP path starting with /' }).optional(),
    exec: z.array(z.string()).min(1, { error: 'must hold the command and its arguments' }).optional(),
    tcp: z.literal(true).optional(),
    port: port.optional(),
    periodSeconds: z.number().int().min(1).max(300).default(DEFAULTS.probe.periodSeconds),
    timeoutSeconds: z.number().int().min(1).max(60).default(DEFAULTS.probe.timeoutSeconds),
    failureThreshold: z.number().int().min(1).max(30).default(DEFAULTS.probe.failureThreshold),
    initialDelaySeconds: z.number().int().min(0).max(600).default(DEFAULTS.probe.initialDelaySeconds),
  })
  .refine((p) => [p.path, p.exec, p.tcp].filter((v) => v !== undefined).length === 1, {
    error: 'must set exactly one of path (HTTP GET), exec (a command) or tcp: true',
  });

const probes = z.strictObject({
  readiness: probe.optional().meta({ description: 'When a replica may receive traffic' }),
  liveness: probe.optional().meta({ description: 'When a replica must be restarted; must differ from readiness' }),
  startup: probe.optional(),
});

const track = z.strictObject({
  replicas: replicas(0)
    .default(DEFAULTS.trackReplicas)
    .meta({
      description: `Replicas of this track (at least minReplicasPerTrack, default ${DEFAULTS.minReplicasPerTrack})`,
    }),
  version: version.optional().meta({ description: 'Pins this track to a version; defaults to the service version' }),
});

const group = z
  .strictObject({
    track: trackName
      .optional()
      .meta({ description: 'Every request of this group goes to this track (e.g. internal users → internal track)' }),
    canaryTrack: trackName.optional().meta({ description: "The track this group's canary share goes to" }),
    share: percent.optional().meta({ description: "Percentage of this group's users sent to canaryTrack" }),
    canary: z
      .boolean()
      .optional()
      .meta({ description: 'false: this group never sees a canary (enterprise by default)' }),
  })
  .meta({ description: 'How one traffic group is routed' });

const userKey = z
  .strictObject({
    header: headerName.optional(),
    cookie: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, { error: 'must be a cookie name' })
      .optional(),
  })
  .refine((k) => (k.header === undefined) !== (k.cookie === undefined), {
    error: 'must set exactly one of header or cookie',
  })
  .meta({ description: 'What keeps one user on one track: a request header or a cookie' });

const traffic = z.strictObject({
  groupHeader: headerName
    .default(DEFAULTS.groupHeader)
    .meta({ description: 'Request header that carries the traffic group' }),
  defaultGroup: groupName.optional().meta({ description: 'Group for requests without a (known) group header' }),
  stableTrack: trackName
    .optional()
    .meta({ description: 'The track everyone else lands on; defaults to the last track' }),
  userKey: userKey.optional(),
  groups: z
    .record(groupName, group)
    .optional()
    .meta({ description: 'Traffic groups; defaults to internal, free, paid and enterprise' }),
});

const legacy = z.strictObject({
  address: z
    .string()
    .regex(/^[A-Za-z0-9.-]+:[0-9]{1,5}$/, { error: 'must be host:port, e.g. legacy-catalog.internal:80' })
    .meta({ description: 'The old backend that still serves the rest of the traffic' }),
  share: percent.default(100).meta({
    description: 'Percentage of all traffic still sent to the legacy backend (100 until a migration moves it)',
  }),
  tls: z.boolean().default(false),
});

const ratio = z
  .number({ error: 'must be a ratio between 0 and 1, e.g. 0.01 for 1%' })
  .min(0, { error: 'must be between 0 and 1' })
  .max(1, { error: 'must be between 0 and 1' });

/** A chance a gate may get wrong: above 0 (0 would never decide) and below a half (a coin does better). */
const chance = z
  .number({ error: 'must be a chance between 0 and 0.5, e.g. 0.01 for 1%' })
  .gt(0, { error: 'must be above 0: a test allowed no mistake never decides' })
  .lt(0.5, { error: 'must be below 0.5' });

const SEQUENTIAL = DEFAULTS.release.sequential;

const regression = z
  .strictObject({
    factor: z
      .number()
      .gt(1, { error: 'must be above 1: the canary failing this many times as often as stable' })
      .default(SEQUENTIAL.regression.factor)
      .meta({ description: "A regression: the canary's error ratio at least this many times the stable track's" }),
    margin: ratio
      .default(SEQUENTIAL.regression.margin)
      .meta({ description: '…and at least this much above it (0.01 is one percentage point)' }),
  })
  .default({ ...SEQUENTIAL.regression })
  .meta({ description: 'The smallest regression the gate must catch with the missed-regression rate' });

const gate = z.discriminatedUnion(
  'metric',
  [
    z.strictObject({
      metric: z.literal('errors-vs-stable'),
      falseRollback: chance.default(SEQUENTIAL.falseRollback).meta({
        description: 'Highest chance of rolling back a canary that fails no more often than the stable track',
      }),
      missedRegression: chance.default(SEQUENTIAL.missedRegression).meta({
        description: 'Highest chance of passing a canary that regressed by `regression`',
      }),
      regression,
    }),
    z.strictObject({
      metric: z.literal('latency-vs-stable'),
      compare: z.enum(['p99', 'distribution']).default('p99').meta({
        description:
          "p99: the canary's answers slower than the stable track's 99th percentile; distribution: than its 50th, 90th and 99th",
      }),
      falseRollback: chance.default(SEQUENTIAL.falseRollback).meta({
        description: 'Highest chance of rolling back a canary that answers as fast as the stable track',
      }),
      missedRegression: chance.default(SEQUENTIAL.missedRegression).meta({
        description: 'Highest chance of passing a canary that regressed by `regression`',
      }),
      regression: regression.meta({
        description:
          "The smallest regression the gate must catch: the canary's answers above a stable percentile this many times as often (factor) and this much more (margin)",
      }),
    }),
    z.strictObject({
      metric: z.literal('error-ratio'),
      max: ratio.meta({ description: "Highest share of 5xx answers (and failed connections) on the stage's track" }),
    }),
    z.strictObject({
      metric: z.literal('error-ratio-vs-stable'),
      max: ratio.meta({ description: "How much the stage's track's error ratio may exceed the stable track's" }),
    }),
    z.strictObject({
      metric: z.literal('response-time'),
      max: positiveDuration.meta({ description: "Highest average response time of the stage's track" }),
    }),
    z.strictObject({
      metric: z.literal('prometheus'),
      name: z.string().regex(/^[a-z0-9-]+$/, { error: 'must be a short name of lowercase letters, digits and dashes' }),
      query: z
        .string()
        .min(1)
        .meta({ description: 'PromQL giving one number; $service, $track, $stable, $env and $window are replaced' }),
      max: z.number().optional(),
      min: z.number().optional(),
    }),
  ],
  {
    error:
      'metric must be errors-vs-stable, latency-vs-stable, error-ratio, error-ratio-vs-stable, response-time or prometheus',
  },
);

const stage = z.strictObject({
  name: z.string().regex(/^[a-z0-9][-a-z0-9]*$/, { error: 'must be lowercase letters, digits and dashes' }),
  track: trackName.optional().meta({ description: 'The track that runs the new version from this stage on' }),
  shares: z
    .record(groupName, percent)
    .optional()
    .meta({ description: 'Canary share per traffic group during this stage' }),
  legacyShare: percent
    .optional()
    .meta({ description: 'Share still sent to the legacy backend during this stage (migrations)' }),
  duration: positiveDuration.default('5m').meta({ description: 'How long the stage is watched before it passes' }),
  approval: z.boolean().default(false).meta({ description: 'Wait for a person to promote after the stage passes' }),
  gates: z.array(gate).optional().meta({ description: 'Gates of this stage; defaults to release.gates' }),
});

const release = z.strictObject({
  stages: z
    .array(stage)
    .min(1, { error: 'must list at least one stage' })
    .optional()
    .meta({ description: "This service's default plan; defaults to one stage per track, in order" }),
  plans: z
    .record(z.string().regex(/^[a-z0-9][-a-z0-9]*$/), z.array(stage).min(1))
    .optional()
    .meta({ description: 'More named plans, chosen with deploy --plan' }),
  gates: z.array(gate).optional().meta({ description: 'Gates of every stage that sets none' }),
  minRequests: z.number().int().min(0).default(DEFAULTS.release.minRequests).meta({
    description:
      "Threshold gates judge once a stage's track has answered this many requests; a sequential gate's pass waits for it too, its rollback never",
  }),
  interval: positiveDuration
    .default(DEFAULTS.release.interval)
    .meta({ description: 'How often gates are measured (sequential gates judge every measurement)' }),
  inconclusiveAfter: positiveDuration.default(DEFAULTS.release.inconclusiveAfter).meta({
    description:
      'A stage still without a verdict this long fails; an undecided sequential gate then passes, without its missed-regression guarantee',
  }),
  prometheus: z
    .strictObject({ url: z.string().regex(/^https?:\/\//, { error: 'must be an http(s) URL' }) })
    .optional()
    .meta({ description: 'Where prometheus gates query' }),
});

const cpuAutoscaling = z.strictObject({
  targetUtilization: z.number().int().min(1).max(100).default(DEFAULTS.autoscalingCpuTarget),
  min: replicas(1).optional().meta({ description: "Defaults to the stable track's replicas" }),
  max: replicas(1),
});

const scheduleWindow = z.strictObject({
  name: z.string().min(1).optional(),
  cron: cron.meta({ description: 'When the window starts (five-field cron, in timezone)' }),
  duration: positiveDuration.meta({ description: 'How long the window lasts' }),
  minReplicas: replicas(1),
  timezone,
});

const autoscaling = z
  .strictObject({
    cpu: cpuAutoscaling.optional(),
    schedule: z
      .array(scheduleWindow)
      .min(1)
      .optional()
      .meta({ description: 'Raise the floor ahead of known peaks (evening, match night)' }),
  })
  .refine((a) => a.cpu !== undefined || a.schedule !== undefined, { error: 'must set cpu, schedule or both' });

const nodePool = z.strictObject({
  class: z
    .string()
    .regex(/^[1-9][0-9]*:[1-9][0-9]*$/, { error: 'must be a CPU:memory ratio in cores:GiB, e.g. 1:4' })
    .optional()
    .meta({ description: 'CPU:memory ratio (cores:GiB) of the node pool this runs on' }),
  name: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/, {
      error: 'must be a node pool name: lowercase letters, digits, dots and dashes (a Kubernetes label value)',
    })
    .optional()
    .meta({
      description:
        'A dedicated pool: runs only on nodes labelled switchyard.dev/node-pool=<name> and tolerates their switchyard.dev/node-pool=<name>:NoSchedule taint',
    }),
  capacity: z.enum(['on-demand', 'spot', 'any']).default(DEFAULTS.nodePoolCapacity),
});

const runAs = z
  .strictObject({
    user: z
      .number()
      .int()
      .min(1, { error: 'must not be 0: the container runs as a user other than root' })
      .max(2147483647)
      .meta({ description: 'Numeric user id the container runs as' }),
    group: z.number().int().min(0).max(2147483647).optional().meta({ description: 'Numeric group id (default: user)' }),
  })
  .meta({
    description: `Numeric user and group the app container runs as (default ${DEFAULTS.runAs.user}:${DEFAULTS.runAs.group}); Kubernetes can only prove a named USER is not root when it is given a number`,
  });

const router = z.strictObject({
  replicas: replicas(1).default(DEFAULTS.routerReplicas),
  image: z.string().min(1).optional().meta({ description: 'HAProxy image with a pinned tag' }),
  resources: resources.optional(),
  nodePool: nodePool.optional(),
});

const policy = z.strictObject({
  exempt: z
    .record(
      z.string().regex(/^[a-z0-9-]+$/, { error: 'must be a rule id, e.g. probes-differ' }),
      z.string().trim().min(10, { error: 'must give a reason of at least 10 characters' }),
    )
    .optional()
    .meta({ description: "Rule id → reason: the rule is not applied to this service's objects" }),
});

const common = {
  apiVersion: z.literal(DEFAULTS.apiVersion, { error: `must be ${DEFAULTS.apiVersion}` }).default(DEFAULTS.apiVersion),
  name: resourceName,
  description: z.string().optional(),
  team: labelValue
    .min(1, { error: 'must name the owning team' })
    .meta({ description: 'Owning team (label, alerts, cost)' }),
  product: labelValue.optional().meta({ description: 'Product this belongs to (cost allocation)' }),
  costCenter: labelValue.optional().meta({ description: 'Cost center (cost allocation)' }),
  image: image.optional(),
  command: z
    .array(z.string().min(1))
    .min(1, { error: 'must hold the program and its arguments' })
    .optional()
    .meta({ description: 'What the local runtime runs (relative paths from the config directory)' }),
  version: version.meta({ description: 'The stable version (image tag) of every track that does not pin its own' }),
  env: z.record(envVarName, z.string()).optional(),
  nodePool: nodePool.optional(),
  labels: z.record(z.string(), labelValue).optional(),
  policy: policy.optional(),
  terminationGraceSeconds: z.number().int().min(1).max(3600).optional(),
  runAs: runAs.optional(),
};

export const serviceSchema = z
  .strictObject({
    ...common,
    kind: z.literal('Service'),
    port: port.default(DEFAULTS.port),
    resources,
    probes: probes.optional(),
    minReplicasPerTrack: replicas(1)
      .default(DEFAULTS.minReplicasPerTrack)
      .meta({ description: 'Fewest replicas any track may have' }),
    tracks: z
      .record(trackName, track)
      .optional()
      .meta({ description: 'Tracks in release order; defaults to internal, free, paid, production' }),
    traffic: traffic.optional(),
    legacy: legacy.optional(),
    autoscaling: autoscaling.optional(),
    release: release.optional(),
    router: router.optional(),
    hosts: z.array(z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { error: 'must be a host name' })).optional(),
  })
  .meta({ title: 'Switchyard service', description: 'A service routed by its own HAProxy across release tracks' });

const workerClass = z.strictObject({
  cpu,
  memory,
  timeout: positiveDuration.meta({ description: 'Longest a task may run in this class' }),
  replicas: z.strictObject({ min: replicas(0), max: replicas(1) }).optional(),
});

export const workerSchema = z
  .strictObject({
    ...common,
    kind: z.literal('Worker'),
    queue: z.strictObject({
      name: z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, { error: 'must be a queue name (letters, digits, . _ : -)' }),
      prefetch: z.number().int().min(1).max(1000).default(DEFAULTS.worker.prefetch),
    }),
    normal: workerClass.meta({ description: 'Limits sized for most tasks (e.g. 500m / 500Mi / 20s)' }),
    fallback: workerClass
      .optional()
      .meta({ description: 'Bigger limits for tasks that exceed the normal class; scales to zero when idle' }),
    retry: z
      .strictObject({
        attempts: z.number().int().min(1).max(100).default(DEFAULTS.worker.retry.attempts),
        initialDelay: duration.default(DEFAULTS.worker.retry.initialDelay),
        maxDelay: duration.default(DEFAULTS.worker.retry.maxDelay),
      })
      .optional(),
    scaling: z
      .strictObject({
        tasksPerReplica: z.number().int().min(1).max(100_000).default(DEFAULTS.worker.tasksPerReplica),
        cooldown: duration.default(DEFAULTS.worker.cooldown),
        keda: z
          .boolean()
          .default(false)
          .meta({ description: 'Also render KEDA ScaledObjects for clusters that run KEDA' }),
      })
      .optional(),
    storage: z
      .strictObject({
        url: z.string().regex(/^(s3|file):\/\/.+/, { error: 'must be s3://bucket/prefix or file:///path' }),
      })
      .optional(),
  })
  .meta({ title: 'Switchyard worker', description: 'A queue worker with a normal and a fallback class' });

export const unitSchema = z.discriminatedUnion('kind', [serviceSchema, workerSchema], {
  error: 'kind must be Service or Worker',
});

const freezeWindow = z.strictObject({
  name: z.string().min(1),
  /** Weekly window: from day+time to day+time, or a daily window with only times. */
  from: z.string().regex(/^((mon|tue|wed|thu|fri|sat|sun) )?([01][0-9]|2[0-3]):[0-5][0-9]$/, {
    error: 'must be "HH:MM" or "<day> HH:MM", e.g. "fri 16:00"',
  }),
  to: z.string().regex(/^((mon|tue|wed|thu|fri|sat|sun) )?([01][0-9]|2[0-3]):[0-5][0-9]$/, {
    error: 'must be "HH:MM" or "<day> HH:MM", e.g. "mon 08:00"',
  }),
  timezone,
});

const alertRule = z.strictObject({
  name: resourceName.meta({ description: 'Names the rule in notifications' }),
  checks: z
    .array(z.enum(CHECKS))
    .min(1)
    .optional()
    .meta({ description: 'Health checks it takes; every check when absent' }),
  severity: z
    .enum(SEVERITIES)
    .meta({ description: 'The least severity it takes: warning takes warnings and critical findings' }),
  services: z
    .array(resourceName)
    .min(1)
    .optional()
    .meta({ description: 'Services and workers it takes; every one when absent' }),
  for: duration.meta({ description: 'How long a finding must hold before it fires' }),
});

const receiverName = resourceName.meta({ description: 'Names the receiver in health findings and logs' });
const receiverUrl = (what: string) =>
  envVarName.meta({
    description: `Environment variable of the server holding ${what} (a secret: never in a file)`,
  });
/** A plain address: what the SMTP envelope takes. */
const mailAddress = z
  .string()
  .regex(/^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;.]+$/, { error: 'must be an e-mail address, e.g. ops@example.com' });

const alertReceiver = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      name: receiverName,
      type: z.enum(['slack', 'webhook']).meta({ description: "Slack's incoming webhook or a generic JSON webhook" }),
      urlFrom: receiverUrl('the webhook URL'),
    }),
    z.strictObject({
      name: receiverName,
      type: z.literal('email').meta({ description: 'One e-mail per notification through an SMTP server' }),
      urlFrom: receiverUrl('the SMTP server URL, e.g. smtp://user:password@mail.example.com:587 or smtps://…'),
      to: z
        .union([mailAddress, z.array(mailAddress).min(1, { error: 'must name at least one address' })])
        .meta({ description: 'Address, or list of addresses, each message goes to' }),
      from: z
        .string()
        .regex(/^([^<>]*<[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;.]+>|[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;.]+)$/, {
          error: 'must be an e-mail address or "Name <address>", e.g. "Switchyard <alerts@example.com>"',
        })
        .meta({ description: 'The sender: an address or "Name <address>"' }),
    }),
    z.strictObject({
      name: receiverName,
      type: z.literal('alertmanager').meta({ description: "Alertmanager's v2 API: one alert per finding" }),
      urlFrom: receiverUrl("Alertmanager's URL, e.g. http://alertmanager:9093"),
    }),
  ],
  { error: `type must be one of ${RECEIVER_TYPES.map((t) => `"${t}"`).join(', ')}` },
);

const alerts = z
  .strictObject({
    repeat: positiveDuration
      .default(DEFAULT_REPEAT)
      .meta({ description: 'How often a group still firing is notified again' }),
    url: z
      .string()
      .regex(/^https?:\/\//, { error: 'must be an http(s) URL' })
      .optional()
      .meta({ description: 'API or console URL people open: notifications link to the service there' }),
    rules: z
      .array(alertRule)
      .optional()
      .meta({ description: 'Rules taken before the built-in ones (critical after 30s, warning after 5m)' }),
    receivers: z
      .array(alertReceiver)
      .optional()
      .superRefine(
        problem('duplicate_receiver', (rs: { name: string }[] | undefined) => {
          const names = (rs ?? []).map((r) => r.name);
          const twice = names.find((n, i) => names.indexOf(n) !== i);
          return twice
            ? { message: `receiver "${twice}" is named twice`, hint: 'Give each receiver its own name.' }
            : undefined;
        }),
      )
      .meta({
        description: 'Where notifications go: Slack incoming webhooks, a generic JSON webhook, e-mail, Alertmanager',
      }),
  })
  .meta({ description: 'Alerts over the health findings: rules, repeat interval, receivers' });

export const environmentSchema = z
  .strictObject({
    apiVersion: z
      .literal(DEFAULTS.apiVersion, { error: `must be ${DEFAULTS.apiVersion}` })
      .default(DEFAULTS.apiVersion),
    kind: z.literal('Environment', { error: 'must be Environment' }),
    name: resourceName,
    runtime: z.enum(['local', 'kubernetes']).default(DEFAULTS.runtime),
    cluster: z
      .strictObject({
        context: z.string().min(1).meta({ description: "kubeconfig context of this environment's cluster" }),
        namespace: resourceName.default(DEFAULTS.namespace),
        identity: z
          .string()
          .min(1)
          .optional()
          .meta({ description: "UID of the cluster's kube-system namespace; checked before any write" }),
      })
      .optional(),
    local: z
      .strictObject({
        host: z
          .string()
          .default(DEFAULTS.local.host)
          .meta({ description: 'Address the routers and the API listen on' }),
        routerPort: port
          .default(DEFAULTS.local.routerPort)
          .meta({ description: 'Router port of the first service (by name); the others follow' }),
        statsPort: port
          .default(DEFAULTS.local.statsPort)
          .meta({ description: 'HAProxy stats port of the first service; the others follow' }),
        apiPort: port.default(DEFAULTS.local.apiPort).meta({ description: 'Switchyard API and metrics port' }),
        ports: z
          .record(resourceName, port)
          .optional()
          .meta({ description: 'Router port per service, overriding the sequence' }),
      })
      .optional()
      .meta({ description: 'Where the local runtime listens' }),
    protected: z.boolean().default(false).meta({ description: 'Production-like: deploys need the approver role' }),
    registry: z.string().optional().meta({ description: 'Prefix for images that have no registry' }),
    ingressClass: z.string().default(DEFAULTS.ingressClass),
    freezes: z.array(freezeWindow).optional(),
    alerts: alerts.optional(),
    serviceDefaults: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: 'Overlay applied to every service' }),
    workerDefaults: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: 'Overlay applied to every worker' }),
    services: z
      .record(resourceName, z.record(z.string(), z.unknown()))
      .optional()
      .meta({ description: 'Per-service and per-worker overlays, by name' }),
  })
  .meta({ title: 'Switchyard environment', description: 'Where services run and what differs there' });

export type ServiceInput = z.input<typeof serviceSchema>;
export type ServiceSpec = z.output<typeof serviceSchema>;
export type WorkerSpec = z.output<typeof workerSchema>;
export type UnitSpec = z.output<typeof unitSchema>;
export type EnvironmentSpec = z.output<typeof environmentSchema>;
export type ProbeSpec = z.output<typeof probe>;
export type NodePoolSpec = z.output<typeof nodePool>;
export type ResourcesSpec = z.output<typeof resources>;
export type WorkerClassSpec = z.output<typeof workerClass>;
export type StageSpec = z.output<typeof stage>;
export type GateSpec = z.output<typeof gate>;
export type ReleaseSpec = z.output<typeof release>;
