// Worker SDK benchmark, all against the same local broker in one run (bench/worker runs it):
//   - no-op tasks per second through the SDK (one worker process, its task processes, output
//     written once to the local store) vs a plain amqplib consumer with the same prefetch and
//     manual acks on a quorum queue, vs BullMQ on Redis with the same concurrency;
//   - the isolation ceiling: the plain consumer plus one round trip per delivery to a warm
//     process of its own (as many as the prefetch) before the ack, and nothing else. No
//     consumer that runs each task outside its main loop's process can beat it, so it shows how
//     much of the gap to the plain consumer is the isolation and how much the SDK's own work;
//   - latency per task at a low rate (publish → done), p50/p99, and the SDK's added p99;
//   - time from a burst to the autoscaler's first scale-up decision (AMQP ready count + management API), vs the management API alone.
// Prints one JSON object; ratios compare figures measured in this same run.
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, watch } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { connect } from 'amqplib';
import { Queue as BullQueue, Worker as BullWorker } from 'bullmq';
import { Redis } from 'ioredis';
import { createTaskProducer, QueueAutoscaler, RabbitMqDepth, RabbitMqManagementDepth } from '@switchyard/worker';

const need = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run bench/worker (it starts test/infra)`);
  return v;
};
const AMQP = need('SWITCHYARD_TEST_AMQP_URL');
const MGMT = need('SWITCHYARD_TEST_RABBIT_MGMT_URL');
const REDIS = new URL(need('SWITCHYARD_TEST_REDIS_URL'));
const TASKS = Number(process.env.BENCH_TASKS ?? 3000);
const LATENCY_TASKS = Number(process.env.BENCH_LATENCY_TASKS ?? 200);
const LATENCY_RATE = Number(process.env.BENCH_LATENCY_RATE ?? 50);
const PREFETCH = Number(process.env.BENCH_PREFETCH ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const run = `bench-${Date.now().toString(36)}`;
// stdout carries the JSON result only: the producers' own log lines stay quiet.
process.env.SWITCHYARD_LOG_LEVEL ??= 'warn';

const pct = (values, q) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] : 0;
};
const round = (n, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
const QUORUM = { durable: true, arguments: { 'x-queue-type': 'quorum' } };

/** Publishes `count` messages with confirms, `rate` per second (0: as fast as possible). */
async function publishAll(ch, queue, count, rate, body) {
  const sentAt = new Map();
  for (let i = 0; i < count; i++) {
    const id = `m${i}`;
    sentAt.set(id, performance.timeOrigin + performance.now());
    ch.sendToQueue(queue, body(id), { persistent: true, messageId: id });
    if (rate > 0) await sleep(1000 / rate);
    else if (i % 200 === 199) await ch.waitForConfirms();
  }
  await ch.waitForConfirms();
  return sentAt;
}

/**
 * A plain amqplib consumer: prefetch, manual acks. With `hop`, each delivery first makes that
 * round trip (the isolation ceiling); without, it is acknowledged at once.
 */
async function amqplibConsumer(name, hop) {
  const conn = await connect(AMQP, { noDelay: true });
  const ch = await conn.createConfirmChannel();
  const measure = async (queue, count, rate) => {
    await ch.assertQueue(queue, QUORUM);
    const consumer = await conn.createChannel();
    await consumer.prefetch(PREFETCH);
    const doneAt = new Map();
    let finished;
    const all = new Promise((r) => (finished = r));
    await consumer.consume(queue, (msg) => {
      const ack = () => {
        consumer.ack(msg);
        doneAt.set(msg.properties.messageId, performance.timeOrigin + performance.now());
        if (doneAt.size === count) finished();
      };
      if (hop) hop(JSON.parse(msg.content.toString('utf8')), ack);
      else ack();
    });
    const sentAt = await publishAll(ch, queue, count, rate, (id) => Buffer.from(JSON.stringify({ id, payload: {} })));
    await all;
    await consumer.close();
    await ch.deleteQueue(queue);
    return { sentAt, doneAt };
  };
  const burst = await measure(`${run}-${name}`, TASKS, 0);
  const lat = await measure(`${run}-${name}-latency`, LATENCY_TASKS, LATENCY_RATE);
  await conn.close();
  return summarize(burst, lat);
}

/** The plain consumer, plus a round trip to a warm process of its own per delivery before its ack. */
async function isolationCeiling() {
  const idle = await Promise.all(
    Array.from({ length: PREFETCH }, () => {
      const child = fork(fileURLToPath(new URL('./fixtures/echo-task-process.mjs', import.meta.url)), [], {
        serialization: 'json',
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      return new Promise((resolve) => child.once('message', () => resolve(child)));
    }),
  );
  const processes = [...idle];
  const answers = new Map();
  for (const child of processes) child.on('message', (m) => answers.get(m.id)?.());
  // At most PREFETCH deliveries are unacknowledged, so a process is always idle.
  const hop = (task, then) => {
    const child = idle.pop();
    answers.set(task.id, () => {
      answers.delete(task.id);
      idle.push(child);
      then();
    });
    child.send({ id: task.id, payload: task.payload });
  };
  try {
    return await amqplibConsumer('ceiling', hop);
  } finally {
    for (const child of processes) child.kill();
  }
}

function summarize(burst, lat) {
  const first = Math.min(...burst.sentAt.values());
  const last = Math.max(...burst.doneAt.values());
  const latencies = [...lat.doneAt].map(([id, at]) => at - lat.sentAt.get(id));
  return {
    tasksPerSecond: round((burst.doneAt.size / (last - first)) * 1000),
    p50LatencyMs: round(pct(latencies, 0.5), 2),
    p99LatencyMs: round(pct(latencies, 0.99), 2),
  };
}

async function sdkWorker() {
  const dir = mkdtempSync(join(tmpdir(), 'swy-bench-'));
  const measure = async (queue, count, rate) => {
    const outputs = join(dir, queue, 'outputs');
    const worker = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/noop-worker.mjs', import.meta.url))], {
      env: {
        ...process.env,
        SWITCHYARD_QUEUE: queue,
        SWITCHYARD_AMQP_URL: AMQP,
        SWITCHYARD_PREFETCH: String(PREFETCH),
        SWITCHYARD_STORAGE_URL: `file://${dir}/${queue}`,
        SWITCHYARD_METRICS_PORT: '0',
        SWITCHYARD_LOG_LEVEL: 'warn',
        SWITCHYARD_SERVICE: 'bench',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const producer = await createTaskProducer({
      brokerUrl: AMQP,
      queue,
      metricsPort: false,
      storage: `file://${dir}/${queue}`,
    });
    // Wait until the worker consumes (its task processes are warm by then).
    const conn = await connect(AMQP);
    const ch = await conn.createChannel();
    for (;;) {
      const ok = await ch.checkQueue(queue);
      if (ok.consumerCount > 0) break;
      await sleep(100);
    }
    await conn.close();
    await mkdir(outputs, { recursive: true });
    // A task is done when its output exists: inotify tells when each one appears.
    const doneAt = new Map();
    const seen = (name) => {
      if (!doneAt.has(name)) doneAt.set(name, performance.timeOrigin + performance.now());
    };
    const watcher = watch(outputs, (_event, name) => name && seen(name));
    for (const name of readdirSync(outputs)) seen(name);
    const sentAt = new Map();
    const pending = [];
    for (let i = 0; i < count; i++) {
      const id = `t${i}`;
      sentAt.set(id, performance.timeOrigin + performance.now());
      pending.push(producer.submit({}, { id }));
      if (rate > 0) await sleep(1000 / rate);
      else if (pending.length >= 200) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    while (doneAt.size < count) {
      await sleep(50);
      for (const name of readdirSync(outputs)) seen(name);
    }
    watcher.close();
    await producer.close();
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
    return { sentAt, doneAt };
  };
  const burst = await measure(`${run}-sdk`, TASKS, 0);
  const lat = await measure(`${run}-sdk-latency`, LATENCY_TASKS, LATENCY_RATE);
  return summarize(burst, lat);
}

async function bullmq() {
  const redis = () => new Redis({ host: REDIS.hostname, port: Number(REDIS.port), maxRetriesPerRequest: null });
  const measure = async (name, count, rate) => {
    const connections = [redis(), redis()];
    const queue = new BullQueue(name, { connection: connections[0] });
    const doneAt = new Map();
    let finished;
    const all = new Promise((r) => (finished = r));
    const worker = new BullWorker(name, async () => undefined, { connection: connections[1], concurrency: PREFETCH });
    worker.on('completed', (job) => {
      doneAt.set(job.id, performance.timeOrigin + performance.now());
      if (doneAt.size === count) finished();
    });
    await worker.waitUntilReady();
    const sentAt = new Map();
    if (rate > 0) {
      for (let i = 0; i < count; i++) {
        sentAt.set(`j${i}`, performance.timeOrigin + performance.now());
        await queue.add('noop', {}, { jobId: `j${i}`, removeOnComplete: true });
        await sleep(1000 / rate);
      }
    } else {
      for (let i = 0; i < count; i += 500) {
        const jobs = Array.from({ length: Math.min(500, count - i) }, (_, k) => ({
          name: 'noop',
          data: {},
          opts: { jobId: `j${i + k}`, removeOnComplete: true },
        }));
        const now = performance.timeOrigin + performance.now();
        for (const j of jobs) sentAt.set(j.opts.jobId, now);
        await queue.addBulk(jobs);
      }
    }
    await all;
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    for (const c of connections) c.disconnect();
    return { sentAt, doneAt };
  };
  const burst = await measure(`${run}-bull`, TASKS, 0);
  const lat = await measure(`${run}-bull-latency`, LATENCY_TASKS, LATENCY_RATE);
  return summarize(burst, lat);
}

/** From the end of a burst to the autoscaler's first decision to scale up. */
async function autoscaleReaction(source, name) {
  const queue = `${run}-autoscale-${name}`;
  const conn = await connect(AMQP);
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue(queue, QUORUM);
  let replicas = 1;
  let firstUp;
  const target = {
    current: async () => ({ replicas }),
    scaleTo: async (n) => {
      if (n > replicas && firstUp === undefined) firstUp = performance.now();
      replicas = n;
    },
  };
  const scaler = new QueueAutoscaler({
    queue,
    source,
    target,
    intervalMs: 250,
    policy: {
      minReplicas: 1,
      maxReplicas: 20,
      tasksPerReplica: 100,
      prefetch: PREFETCH,
      maxStepUp: 4,
      maxStepDown: 1,
      cooldownMs: 60_000,
    },
  });
  scaler.start();
  await sleep(1_000);
  // From the burst's first message (publishing 1,000 with confirms takes a while itself).
  const burstAt = performance.now();
  await publishAll(ch, queue, 1_000, 0, () => Buffer.from('{}'));
  while (firstUp === undefined && performance.now() - burstAt < 30_000) await sleep(20);
  await scaler.stop();
  await ch.deleteQueue(queue);
  await conn.close();
  await source.close?.();
  return firstUp === undefined ? null : Math.round(firstUp - burstAt);
}

// The machine is shared and its CPU time varies by the second (steal, other jobs): each round
// runs the three contenders back to back, and the ratios are the medians of each round's own.
const median = (values) => pct(values, 0.5);
const rounds = [];
for (let r = 0; r < ROUNDS; r++) {
  const plain = await amqplibConsumer('plain');
  const ceiling = await isolationCeiling();
  const sdk = await sdkWorker();
  const bull = await bullmq();
  rounds.push({ plain, ceiling, sdk, bull });
}
const summary = (pick) => ({
  tasksPerSecond: round(median(rounds.map((r) => pick(r).tasksPerSecond))),
  p50LatencyMs: round(median(rounds.map((r) => pick(r).p50LatencyMs)), 2),
  p99LatencyMs: round(median(rounds.map((r) => pick(r).p99LatencyMs)), 2),
});
const autoscale = {
  pollIntervalMs: 250,
  // What the SDK's scaler reads: ready messages over AMQP (current), unacknowledged ones from the management API.
  burstToFirstScaleUpMs: await autoscaleReaction(new RabbitMqDepth({ amqpUrl: AMQP, managementUrl: MGMT }), 'amqp'),
  // Baseline: the management API alone, refreshed every collect_statistics_interval (5 s by default).
  managementApiOnlyMs: await autoscaleReaction(new RabbitMqManagementDepth(MGMT), 'management'),
};
process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: 'worker-throughput',
      tasks: TASKS,
      prefetch: PREFETCH,
      rounds: ROUNDS,
      cpus: availableParallelism(),
      loadAverage: loadavg().map((l) => round(l, 2)),
      latencyPhase: { tasks: LATENCY_TASKS, ratePerSecond: LATENCY_RATE },
      plainAmqplib: summary((r) => r.plain),
      isolationCeiling: summary((r) => r.ceiling),
      sdk: summary((r) => r.sdk),
      bullmq: summary((r) => r.bull),
      ratios: {
        sdkVsPlainAmqplib: round(median(rounds.map((r) => r.sdk.tasksPerSecond / r.plain.tasksPerSecond)), 3),
        isolationCeilingVsPlainAmqplib: round(
          median(rounds.map((r) => r.ceiling.tasksPerSecond / r.plain.tasksPerSecond)),
          3,
        ),
        sdkVsIsolationCeiling: round(median(rounds.map((r) => r.sdk.tasksPerSecond / r.ceiling.tasksPerSecond)), 3),
        sdkVsBullmq: round(median(rounds.map((r) => r.sdk.tasksPerSecond / r.bull.tasksPerSecond)), 3),
      },
      sdkAddedP99LatencyMs: round(median(rounds.map((r) => r.sdk.p99LatencyMs - r.plain.p99LatencyMs)), 2),
      perRound: rounds.map((r) => ({
        plain: r.plain.tasksPerSecond,
        isolationCeiling: r.ceiling.tasksPerSecond,
        sdk: r.sdk.tasksPerSecond,
        bullmq: r.bull.tasksPerSecond,
      })),
      target: { sdkVsPlainAmqplib: 0.8 },
      autoscale,
    },
    null,
    2,
  )}\n`,
);
process.exit(0);
