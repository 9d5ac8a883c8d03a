import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createTaskProducer } from '@switchyard/worker';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadFleet } from '../../config-dir/index.js';
import { REPO_ROOT, writeConfig } from '../../../test/support/cli.js';
import { HTTP_SERVICE } from '../../../test/support/local-fleet.js';
import { alive, processesOf } from '../../../test/support/processes.js';
import { adminAuth, startUp, waitFor, type UpProcess } from '../../../test/support/up.js';
import type { Worker } from '../../spec/index.js';
import { describeEvent, freePort, LocalRuntime, type RuntimeEvent } from '../index.js';
import { WorkerClassRunner } from './worker-runner.js';

/** Worker processes on the local runtime: restarts with backoff, waiting for a broker, the process record, the forced stop. */

function env(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is not set: start RabbitMQ with test/infra/up rabbitmq and source /tmp/switchyard/infra.env`,
    );
  return value;
}

const CRASHING_WORKER = join(REPO_ROOT, 'packages/switchyard/test/support/fixtures/crashing-worker.mjs');
const SHORT_LIVED_WORKER = join(REPO_ROOT, 'packages/switchyard/test/support/fixtures/short-lived-worker.mjs');
const ENCODING_WORKER = join(REPO_ROOT, 'examples/video-platform/apps/encoding-worker.mjs');

function workerSpec(command: readonly string[], queue: string) {
  return {
    kind: 'Worker',
    name: 'encoder',
    team: 'media',
    product: 'vod',
    costCenter: 'cc-2',
    command,
    version: '1.0.0',
    queue: { name: queue, prefetch: 1 },
    normal: { cpu: '500m', memory: '256Mi', timeout: '60s', replicas: { min: 1, max: 1 } },
  };
}

/** A service and the encoding worker on free ports, for `switchyard up`. */
async function writeUpFleet(worker: object): Promise<{ dir: string; api: string }> {
  const [routerPort, statsPort, apiPort] = [
    await freePort('127.0.0.1'),
    await freePort('127.0.0.1'),
    await freePort('127.0.0.1'),
  ];
  const dir = await writeConfig({
    'services/web.yaml': `kind: Service\nname: web\nteam: web\nproduct: vod\ncostCenter: cc-1\ncommand: [node, ${HTTP_SERVICE}]\nversion: 3.0.0\nresources: { cpu: 100m, memory: 64Mi }\nprobes:\n  readiness: { path: /ready }\n`,
    'services/encoder.yaml': stringify(worker),
    'environments/sandbox.yaml': `kind: Environment\nname: sandbox\nruntime: local\nlocal: { routerPort: ${routerPort}, statsPort: ${statsPort}, apiPort: ${apiPort} }\n`,
  });
  return { dir, api: `http://127.0.0.1:${apiPort}` };
}

interface Recorded {
  name: string;
  kind: string;
  pid?: number;
}

function recorded(dataDir: string): Recorded[] {
  const file = JSON.parse(readFileSync(join(dataDir, 'processes.json'), 'utf8')) as {
    processes: Record<string, Recorded>;
  };
  return Object.values(file.processes);
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const child = Number(entry);
    if (!Number.isInteger(child)) continue;
    try {
      const stat = readFileSync(`/proc/${child}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(child);
    } catch {
      // gone
    }
  }
  return out;
}

const isRouter = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('haproxy');
  } catch {
    return false;
  }
};

describe('worker processes on the local runtime', () => {
  const ups: UpProcess[] = [];
  const leftovers: number[] = [];
  let runtime: LocalRuntime | undefined;

  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
  });

  afterAll(async () => {
    await Promise.all(ups.map((u) => u.stop()));
    for (const pid of leftovers) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });

  it('restarts a worker that throws at start-up with exponential backoff, in one log file, and says its own error', async () => {
    const dir = await writeConfig({
      'services/encoder.yaml': stringify(workerSpec(['node', CRASHING_WORKER], `crash-${randomUUID().slice(0, 8)}`)),
      'environments/sandbox.yaml': stringify({ kind: 'Environment', name: 'sandbox', runtime: 'local' }),
    });
    const dataDir = await mkdtemp(join(tmpdir(), 'sy-crashing-worker-'));
    const events: Array<{ at: number; event: RuntimeEvent }> = [];
    runtime = new LocalRuntime({
      fleet: await loadFleet(dir, 'sandbox'),
      dataDir,
      onEvent: (event) => events.push({ at: Date.now(), event }),
      workers: { env: { SWITCHYARD_AMQP_URL: env('SWITCHYARD_TEST_AMQP_URL') } },
    });
    const started = Date.now();
    await runtime.start();
    const windowMs = 20_000;
    await new Promise((r) => setTimeout(r, windowMs - (Date.now() - started)));
    const failed = events.filter((e) => e.event.type === 'worker-start-failed' && e.at - started <= windowMs);
    const lines = failed.map((e) => describeEvent(e.event));
    console.log(`a worker that throws at start: ${failed.length} failed starts in ${windowMs / 1000} s`);
    console.log(lines.join('\n'));
    // Backoff 1, 2, 4, 8 s: five attempts fit in 20 s (a restart every 2 s made nine).
    expect(failed.length).toBeGreaterThanOrEqual(3);
    expect(failed.length).toBeLessThanOrEqual(5);
    expect(failed.map((e) => (e.event.type === 'worker-start-failed' ? e.event.restartInMs : 0))).toEqual(
      [1_000, 2_000, 4_000, 8_000, 16_000].slice(0, failed.length),
    );
    // Its own error, not a guess about the broker.
    for (const line of lines) {
      expect(line).toContain('Error: the model file /models/encoder.bin is missing');
      expect(line).not.toMatch(/broker/);
    }
    // One log file for the replica, whatever the number of attempts.
    expect(readdirSync(join(dataDir, 'logs'))).toEqual(['encoder-normal-1.log']);
    const status = (await runtime.workerStatus())[0];
    expect(status?.ready).toBe(0);
    expect(status?.replicas.map((r) => r.state)).toContain('restarting');
  });

  it('starts the backoff afresh for a worker that ran well before it failed', async () => {
    const dir = await writeConfig({
      'services/encoder.yaml': stringify(workerSpec(['node', SHORT_LIVED_WORKER], `short-${randomUUID().slice(0, 8)}`)),
      'environments/sandbox.yaml': stringify({ kind: 'Environment', name: 'sandbox', runtime: 'local' }),
    });
    const fleet = await loadFleet(dir, 'sandbox');
    const worker = fleet.units.find((u): u is Worker => u.kind === 'Worker') as Worker;
    const logDir = await mkdtemp(join(tmpdir(), 'sy-short-lived-'));
    const events: RuntimeEvent[] = [];
    const options = {
      worker,
      workerClass: worker.normal,
      cwd: dir,
      logDir,
      host: '127.0.0.1',
      onEvent: (e: RuntimeEvent) => events.push(e),
      restartDelayMs: 500,
    };
    const exits = () => events.filter((e) => e.type === 'worker-exited');
    const run = async (ranWellMs: number, exitAfterMs: number) => {
      events.length = 0;
      const runner = new WorkerClassRunner({
        ...options,
        ranWellMs,
        env: { SWITCHYARD_AMQP_URL: env('SWITCHYARD_TEST_AMQP_URL'), EXIT_AFTER_MS: String(exitAfterMs) },
      });
      await runner.start();
      await waitFor('three failures', () => exits().length >= 3, 60_000);
      await runner.stop();
      return exits()
        .map((e) => (e.type === 'worker-exited' ? e.restartInMs : 0))
        .slice(0, 3);
    };
    // Ready for 2 s each time, past the 1 s that counts as running well: never more than the first delay.
    expect(await run(1_000, 2_000)).toEqual([500, 500, 500]);
    // The same failures counted as a failing worker: the delay doubles.
    expect(await run(60_000, 2_000)).toEqual([500, 1_000, 2_000]);
    expect(exits().every((e) => describeEvent(e).includes('Error: lost the licence server'))).toBe(true);
  });

  it('up does not wait for an unreachable broker: services start at once, the worker is waiting, and it is in the process record', async () => {
    const unreachable = `amqp://127.0.0.1:${await freePort('127.0.0.1')}`;
    const { dir, api } = await writeUpFleet(workerSpec(['node', ENCODING_WORKER], `enc-${randomUUID().slice(0, 8)}`));
    const dataDir = await mkdtemp(join(tmpdir(), 'sy-worker-up-'));
    const up = startUp(dir, dataDir, { SWITCHYARD_AMQP_URL: unreachable, SWITCHYARD_RABBIT_MGMT_URL: '' });
    ups.push(up);
    await up.ready();
    const readyIn = Number(/ready in ([\d.]+) s/.exec(up.output())?.[1]);
    console.log(`up with an unreachable broker: ready in ${readyIn} s`);
    // It waited 60 s for the worker's readiness (then ~64 s in all); the rest of `up` takes seconds.
    expect(readyIn).toBeLessThan(40);
    expect(up.output()).not.toMatch(/was not ready within/);
    const auth = { authorization: adminAuth(dataDir) };
    let worker: { replicas: Array<{ name: string; pid?: number; state: string; reason?: string }> } | undefined;
    await waitFor(
      'the worker to say it waits for the broker',
      async () => {
        const status = (await (await fetch(`${api}/v1/status`, { headers: auth })).json()) as {
          workers: (typeof worker & {})[];
        };
        worker = status.workers[0];
        return worker?.replicas[0]?.state === 'waiting';
      },
      20_000,
    );
    expect(worker?.replicas[0]?.reason).toBe('waiting for the broker');
    // The worker is in the process record, with its pid, as replicas are.
    const pid = worker?.replicas[0]?.pid as number;
    expect(recorded(dataDir).find((p) => p.kind === 'worker')).toEqual(
      expect.objectContaining({ name: 'encoder-normal-1', pid }),
    );
    expect(alive(pid)).toBe(true);
    expect(await up.stop()).toBe(0);
    expect(alive(pid)).toBe(false);
  });

  it('a second Ctrl-C kills workers and their task processes too, not only the services’ replicas', async () => {
    const queue = `enc-${randomUUID().slice(0, 8)}`;
    const { dir, api } = await writeUpFleet(workerSpec(['node', ENCODING_WORKER], queue));
    const dataDir = await mkdtemp(join(tmpdir(), 'sy-worker-kill-'));
    const up = startUp(dir, dataDir, {
      SWITCHYARD_AMQP_URL: env('SWITCHYARD_TEST_AMQP_URL'),
      SWITCHYARD_RABBIT_MGMT_URL: '',
    });
    ups.push(up);
    await up.ready();
    const auth = { authorization: adminAuth(dataDir) };
    let workerPid = 0;
    await waitFor(
      'the worker to be ready',
      async () => {
        const status = (await (await fetch(`${api}/v1/status`, { headers: auth })).json()) as {
          workers: Array<{ ready: number; replicas: Array<{ pid?: number }> }>;
        };
        workerPid = status.workers[0]?.replicas[0]?.pid ?? 0;
        return status.workers[0]?.ready === 1;
      },
      60_000,
    );
    expect(
      recorded(dataDir)
        .map((p) => [p.kind, p.pid])
        .filter(([kind]) => kind === 'worker'),
    ).toEqual([['worker', workerPid]]);
    // A long CPU-bound task: its task process is busy and does not notice its worker go.
    const storage = join(dataDir, 'objects', 'encoder');
    await mkdir(join(storage, 'uploads'), { recursive: true });
    await writeFile(join(storage, 'uploads', 'big.raw'), randomBytes(16 * 2 ** 20));
    const producer = await createTaskProducer({
      queue,
      service: 'encoder',
      brokerUrl: env('SWITCHYARD_TEST_AMQP_URL'),
      storage: `file://${storage}`,
    });
    await producer.submit({ clip: 'big.raw', passes: 2_000 }, { id: 'long' });
    await producer.close();
    const log = join(dataDir, 'logs', 'encoder-normal-1.log');
    await waitFor('the task to run', () => readFileSync(log, 'utf8').includes('"msg":"task progress"'), 60_000);
    const taskProcesses = childrenOf(workerPid);
    expect(taskProcesses.length).toBeGreaterThan(0);
    const fleet = processesOf(dataDir, dir).filter((pid) => !isRouter(pid));
    leftovers.push(...processesOf(dataDir, dir));
    expect(fleet).toEqual(expect.arrayContaining([workerPid, ...taskProcesses]));

    up.child.kill('SIGINT');
    await waitFor('the drain to begin', () => up.output().includes('draining and stopping'), 10_000);
    up.child.kill('SIGINT');
    const { code } = await up.exit;
    await waitFor(
      'every replica, worker and task process to be gone',
      () => fleet.every((pid) => !alive(pid)),
      5_000,
    ).catch(() => undefined);
    console.log(
      `forced stop: ${fleet.filter(alive).length} of ${fleet.length} replica, worker and task processes left running`,
    );
    expect(fleet.filter(alive)).toEqual([]);
    expect(code).toBe(130);
    expect(up.output()).toContain('stopping at once');
  });
});
