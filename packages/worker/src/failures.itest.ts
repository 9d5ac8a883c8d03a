import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { readStats } from './stats/index.js';
import { describeDeadLetter, encodeEnvelope } from './task/index.js';
import {
  broker,
  drainQueue,
  infra,
  mapLimit,
  readObject,
  runInfraCommand,
  versionsByKey,
  waitFor,
} from '../test/support/infra.js';
import { promtoolProblems } from '../../../test/support/promtool.js';
import { scenario, type Scenario } from '../test/support/scenario.js';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

let current: Scenario | undefined;
afterEach(async () => {
  await current?.dispose();
  current = undefined;
});

async function outputsOnce(s: Scenario, ids: readonly string[], timeoutMs: number): Promise<void> {
  let versions = new Map<string, number>();
  await waitFor(
    `${ids.length} outputs`,
    async () => {
      versions = await versionsByKey(s.s3, s.bucket, 'run/outputs/');
      return ids.every((id) => versions.has(`run/outputs/${id}`));
    },
    timeoutMs,
    500,
  );
  expect(ids.filter((id) => versions.get(`run/outputs/${id}`) !== 1)).toEqual([]);
}

async function deadLetters(s: Scenario): Promise<ReturnType<typeof describeDeadLetter>[]> {
  const b = await broker();
  const dead = await drainQueue(b.channel, `${s.queue}.dead`);
  await b.close();
  return dead.map((m) => describeDeadLetter(m.headers, m.body));
}

async function allStats(s: Scenario) {
  return readStats(
    readdirSync(s.logDir)
      .filter((f) => f.startsWith('stats-'))
      .map((f) => join(s.logDir, f)),
  );
}

describe('worker failures, against the real RabbitMQ and MinIO', () => {
  it('SIGTERM finishes the tasks that fit in the grace period and returns the others to the queue', async () => {
    const s = (current = await scenario('sigterm', { SWITCHYARD_PREFETCH: '3', SWITCHYARD_SHUTDOWN_GRACE: '3s' }));
    const producer = await s.producer();
    const first = s.processes.spawn('normal');
    await first.ready;

    // Three tasks that fit in the grace period, and more waiting in the queue.
    const short = ['short-1', 'short-2', 'short-3'];
    for (const id of short) await producer.submit({ kind: 'slow', ms: 1_000 }, { id });
    await Promise.all(
      short.map((id) => s.processes.waitForLine(first, (l) => l.msg === 'task progress' && l.taskId === id)),
    );
    // Probes and metrics on the port the platform scrapes, while three tasks run.
    const started = await s.processes.waitForLine(first, (l) => l.msg === 'worker started');
    const base = `http://127.0.0.1:${String(started.metricsPort)}`;
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^switchyard_worker_tasks_in_flight\{[^}]*class="normal"[^}]*\} 3$/m);
    expect(metrics).toMatch(/^switchyard_worker_task_progress_ratio\{[^}]*task_id="short-1"[^}]*\} 0\.5$/m);
    expect(promtoolProblems(metrics)).toBe('');
    const waiting = ['waiting-1', 'waiting-2'];
    for (const id of waiting) await producer.submit({ kind: 'small' }, { id });
    expect(await s.processes.terminate(first)).toEqual({ code: 0, signal: null });
    expect(first.stopped).toEqual({ finished: 3, requeued: 0 });
    await outputsOnce(s, short, 10_000);

    // Three tasks that do not fit: killed at the end of the grace period and returned.
    const second = s.processes.spawn('normal');
    await second.ready;
    const long = ['long-1', 'long-2', 'long-3'];
    for (const id of long) await producer.submit({ kind: 'slow', ms: 6_000 }, { id });
    await Promise.all(
      long.map((id) => s.processes.waitForLine(second, (l) => l.msg === 'task progress' && l.taskId === id)),
    );
    expect(await s.processes.terminate(second)).toEqual({ code: 0, signal: null });
    expect(second.stopped?.requeued).toBe(3);

    // A new worker finishes everything; nothing is lost and nothing is written twice.
    const third = s.processes.spawn('normal');
    await outputsOnce(s, [...short, ...waiting, ...long], 60_000);
    // Its counters and histograms now hold samples: what Prometheus scrapes passes promtool's lint.
    const port = (await s.processes.waitForLine(third, (l) => l.msg === 'worker started')).metricsPort;
    const done = await (await fetch(`http://127.0.0.1:${String(port)}/metrics`)).text();
    expect(done).toMatch(/^switchyard_worker_tasks_total\{[^}]*result="done"[^}]*\} [1-9]/m);
    expect(done).toMatch(/^# TYPE switchyard_worker_task_duration_seconds histogram$/m);
    expect(promtoolProblems(done)).toBe('');
    expect(await deadLetters(s)).toEqual([]);
    const interrupted = (await allStats(s)).filter((st) => st.outcome === 'interrupted');
    expect(interrupted.map((st) => st.taskId).sort()).toEqual(long);
    expect(interrupted.every((st) => st.action === 'requeue')).toBe(true);
  });

  it('dead-letters bad input with a clear reason, retries transient failures, and ends a poison task by its delivery limit', async () => {
    const s = (current = await scenario('poison', {
      SWITCHYARD_PREFETCH: '1',
      SWITCHYARD_DELIVERY_LIMIT: '2',
      SWITCHYARD_RETRY_ATTEMPTS: '3',
    }));
    const producer = await s.producer();
    await s.store.put('inputs/clip', 'frames');
    // A supervisor, as Kubernetes would be: a worker that dies is replaced.
    let restarts = 0;
    const supervise = (proc: ReturnType<typeof s.processes.spawn>) => {
      void proc.exited.then(({ signal }) => {
        if (signal === 'SIGKILL' && restarts < 10) {
          restarts++;
          supervise(s.processes.spawn('normal'));
        }
      });
    };
    const workers = [s.processes.spawn('normal'), s.processes.spawn('normal')];
    workers.forEach(supervise);
    await Promise.all(workers.map((w) => w.ready));

    await producer.submit({ kind: 'kill-worker' }, { id: 'poison' });
    await producer.submit({ kind: 'permanent' }, { id: 'not-a-video' });
    await producer.submit({ kind: 'nope' }, { id: 'bad-payload' });
    await producer.submit({ kind: 'small', input: 'inputs/missing' }, { id: 'no-input' });
    await producer.submit({ kind: 'flaky', failures: 2, input: 'inputs/clip' }, { id: 'flaky' });
    await producer.submit({ kind: 'exit' }, { id: 'crashes' });
    await producer.submit({ kind: 'small', input: 'inputs/clip' }, { id: 'fine' });
    const b = await broker();
    b.channel.sendToQueue(s.queue, Buffer.from('this is not JSON'), { persistent: true });
    b.channel.sendToQueue(s.queue, encodeEnvelope({ id: 'no payload', payload: 1, history: [] }), { persistent: true });
    await b.channel.waitForConfirms();
    await b.close();

    await outputsOnce(s, ['flaky', 'fine'], 60_000);
    const expected = new Map<string | undefined, RegExp>([
      ['poison', /^SWY_WORKER_DELIVERY_LIMIT: /],
      ['not-a-video', /^SWY_WORKER_PERMANENT: .*the clip is not a video$/],
      ['bad-payload', /^SWY_WORKER_PAYLOAD_INVALID: .*kind: Invalid option/],
      ['no-input', /^SWY_WORKER_INPUT_NOT_FOUND: .*inputs\/missing/],
      [
        'crashes',
        /^SWY_WORKER_RETRIES_EXHAUSTED: .*3 of 3 attempts failed in the normal class; last: SWY_WORKER_TASK_CRASHED: the task process exited with code 3$/,
      ],
    ]);
    let dead: Awaited<ReturnType<typeof deadLetters>> = [];
    await waitFor(
      'every bad task in the dead-letter queue',
      async () => {
        dead = [...dead, ...(await deadLetters(s))];
        return dead.length >= expected.size + 2;
      },
      90_000,
      500,
    );
    const byTask = new Map(dead.filter((d) => d.taskId).map((d) => [d.taskId, d.reason]));
    for (const [id, reason] of expected) expect(byTask.get(id), id).toMatch(reason);
    const malformed = dead.filter((d) => d.code === 'SWY_WORKER_ENVELOPE_INVALID').map((d) => d.reason);
    expect(malformed).toHaveLength(2);
    expect(malformed.some((r) => /the body is not JSON/.test(r))).toBe(true);
    expect(malformed.some((r) => /id must be/.test(r))).toBe(true);
    expect(dead).toHaveLength(expected.size + 2);
    // The crashing task carries its history: three attempts, each with its reason.
    expect(dead.find((d) => d.taskId === 'crashes')?.history.map((h) => h.outcome)).toEqual([
      'crashed',
      'crashed',
      'crashed',
    ]);
    // The poison task took its worker down each time it was delivered, and nothing else did.
    expect(restarts).toBeGreaterThanOrEqual(2);
    const flaky = (await allStats(s)).filter((st) => st.taskId === 'flaky').map((st) => st.outcome);
    expect(flaky).toEqual(['transient', 'transient', 'done']);
  });

  it('reconnects after the broker restarts mid-run and loses no task', async () => {
    const s = (current = await scenario('broker-restart', {
      SWITCHYARD_PREFETCH: '4',
      SWITCHYARD_TASK_TIMEOUT: '1s',
      SWITCHYARD_TASK_MEMORY_BYTES: String(128 * 2 ** 20),
    }));
    const producer = await s.producer();
    const ids = Array.from({ length: 300 }, (_, i) => `task-${i}`);
    for (const [i, id] of ids.entries())
      await producer.submit(i % 30 === 0 ? { kind: 'slow', ms: 1_500 } : { kind: 'slow', ms: 40 }, { id });
    await producer.close();
    const workers = [
      s.processes.spawn('normal'),
      s.processes.spawn('normal'),
      s.processes.spawn('fallback', { SWITCHYARD_TASK_TIMEOUT: '10s', SWITCHYARD_PREFETCH: '4' }),
    ];
    await Promise.all(workers.map((w) => w.ready));
    await waitFor(
      'some progress',
      async () => (await versionsByKey(s.s3, s.bucket, 'run/outputs/')).size >= 30,
      60_000,
      200,
    );

    await runInfraCommand(infra.rabbitRestart());

    await outputsOnce(s, ids, 240_000);
    expect(await deadLetters(s)).toEqual([]);
    // Each worker lived through it (no restarts) and logged its reconnection (a worker whose
    // last tasks were done by the others may still be in its reconnect backoff here).
    const reconnected = (w: (typeof workers)[number]) =>
      w.lines.some((l) => l.msg === 'connected to the broker' && Number(l.generation) >= 2);
    await waitFor('every worker to reconnect', () => workers.every(reconnected), 60_000, 200).catch(() => undefined);
    for (const w of workers) {
      expect(w.child.exitCode).toBeNull();
      expect(w.lines.some((l) => l.msg === 'connected to the broker' && Number(l.generation) >= 2)).toBe(true);
    }
    const stats = await allStats(s);
    const escalated = stats.filter((st) => st.action === 'escalate').map((st) => st.taskId);
    expect(new Set(escalated)).toEqual(new Set(ids.filter((_, i) => i % 30 === 0)));
    // Every output written has the stats line of the attempt that wrote it, also when that
    // attempt finished while its worker was reconnecting and could not acknowledge the task.
    const written = await mapLimit(ids, 16, async (id) => ({
      id,
      sha256: createHash('sha256')
        .update(await readObject(s.s3, s.bucket, `run/outputs/${id}`))
        .digest('hex'),
    }));
    const recorded = new Set(
      stats.filter((st) => st.outcome === 'done').map((st) => `${st.taskId} ${st.outputSha256}`),
    );
    const unrecorded = written.filter((w) => !recorded.has(`${w.id} ${w.sha256}`)).map((w) => w.id);
    const unacknowledged = stats.filter((st) => st.outcome === 'done' && st.acknowledged === false);
    console.log(
      `broker restart: ${unrecorded.length} of ${ids.length} outputs without the stats line of their attempt; ` +
        `${unacknowledged.length} attempts recorded whose acknowledgement was lost`,
    );
    expect(unrecorded).toEqual([]);
    // The copy the broker redelivered found the output and recorded that the task completed.
    const duplicates = new Set(stats.filter((st) => st.outcome === 'duplicate').map((st) => st.taskId));
    expect(unacknowledged.filter((st) => st.action === 'ack' && !duplicates.has(st.taskId))).toEqual([]);
  });

  it('retries through an object storage outage and loses no task', async () => {
    const s = (current = await scenario('storage-outage', {
      SWITCHYARD_PREFETCH: '2',
      SWITCHYARD_RETRY_ATTEMPTS: '12',
      SWITCHYARD_RETRY_INITIAL_DELAY: '500ms',
      SWITCHYARD_RETRY_MAX_DELAY: '4s',
    }));
    const producer = await s.producer();
    await s.store.put('inputs/clip', Buffer.alloc(64 * 1024, 3));
    const worker = s.processes.spawn('normal');
    await worker.ready;
    const ids = Array.from({ length: 40 }, (_, i) => `task-${i}`);
    for (const id of ids.slice(0, 5)) await producer.submit({ kind: 'small', input: 'inputs/clip' }, { id });
    await outputsOnce(s, ids.slice(0, 5), 30_000);

    await runInfraCommand(infra.minioStop());
    try {
      for (const id of ids.slice(5)) await producer.submit({ kind: 'slow', ms: 20, input: 'inputs/clip' }, { id });
      await sleep(6_000);
    } finally {
      await runInfraCommand(infra.minioStart());
    }

    await outputsOnce(s, ids, 120_000);
    expect(await deadLetters(s)).toEqual([]);
    const stats = await allStats(s);
    const unavailable = stats.filter(
      (st) => st.outcome === 'transient' && /could not|ECONNREFUSED|connect/i.test(st.reason ?? ''),
    );
    expect(unavailable.length).toBeGreaterThan(0);
    expect(unavailable.every((st) => st.action === 'retry')).toBe(true);
    expect(worker.child.exitCode).toBeNull();
  });
});
