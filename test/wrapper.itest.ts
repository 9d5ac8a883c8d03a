import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../packages/switchyard/test/support/cli.js';
import { writeUpFleet, waitFor } from '../packages/switchyard/test/support/up.js';

/**
 * `./switchyard` as a user runs it: the wrapper reads `up`'s command line the way the CLI does,
 * so it starts the project's RabbitMQ exactly for a fleet with workers, wherever the options stand.
 */

const WRAPPER = join(REPO_ROOT, 'switchyard');
const WORKER_APP = join(REPO_ROOT, 'examples/video-platform/apps/encoding-worker.mjs');

interface Run {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exit: Promise<number>;
}

const running: Run[] = [];
afterEach(async () => {
  for (const run of running.splice(0)) {
    if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGINT');
    await run.exit;
  }
});

/** The wrapper with no broker named in the environment, and the CLI's credentials kept apart. */
async function wrapper(args: readonly string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: '1',
    XDG_CONFIG_HOME: await mkdtemp(join(tmpdir(), 'sy-wrapper-home-')),
  };
  delete env.SWITCHYARD_AMQP_URL;
  delete env.SWITCHYARD_RABBIT_MGMT_URL;
  const child = spawn(WRAPPER, args, { cwd: REPO_ROOT, env });
  const run: Run = {
    child,
    stdout: '',
    stderr: '',
    exit: new Promise((resolve) => child.on('close', (code) => resolve(code ?? -1))),
  };
  child.stdout?.on('data', (d: Buffer) => (run.stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (run.stderr += d.toString()));
  running.push(run);
  return run;
}

/** Runs `up` until the fleet is ready, then stops it with Ctrl-C. */
async function upUntilReady(args: readonly string[]): Promise<Run> {
  const run = await wrapper(args);
  await waitFor('up to be ready', () => /Ctrl-C stops/.test(run.stdout) || run.child.exitCode !== null, 180_000);
  run.child.kill('SIGINT');
  expect(await run.exit, run.stdout + run.stderr).toBe(0);
  return run;
}

/** The wrapper's own lines: each one of ours, none from grep or a shell. */
const wrapperLines = (stderr: string) => stderr.split('\n').filter((l) => l !== '');

/** A one-service fleet on free ports, with an encoding worker when asked. */
async function fleet(withWorker: boolean): Promise<{ dir: string; dataDir: string }> {
  const { dir } = await writeUpFleet();
  if (withWorker)
    await writeFile(
      join(dir, 'services/encoder.yaml'),
      [
        'kind: Worker',
        'name: encoder',
        'team: media',
        'product: vod',
        'costCenter: cc-2',
        `command: [node, ${WORKER_APP}]`,
        'version: 1.0.0',
        'queue: { name: wrapper-encode }',
        'normal: { cpu: 100m, memory: 128Mi, timeout: 20s, replicas: { min: 1, max: 1 } }',
        '',
      ].join('\n'),
    );
  return { dir, dataDir: await mkdtemp(join(tmpdir(), 'sy-wrapper-data-')) };
}

const BROKER_LINE = 'switchyard: the fleet has workers: starting RabbitMQ';

describe('./switchyard up', () => {
  it('--help prints the help of up and nothing else', async () => {
    const run = await wrapper(['up', '--help']);
    expect(await run.exit).toBe(0);
    expect(run.stdout).toContain('Usage: switchyard up [options] <config-dir>');
    expect(wrapperLines(run.stderr).filter((l) => !l.startsWith('switchyard: '))).toEqual([]);
    expect(run.stderr).not.toContain('RabbitMQ');
  });

  it('--env sandbox DIR: a fleet with workers gets the project RabbitMQ', async () => {
    const { dir, dataDir } = await fleet(true);
    const run = await upUntilReady(['up', '--env', 'sandbox', dir, '--data-dir', dataDir]);
    expect(run.stderr).toContain(BROKER_LINE);
    expect(run.stdout).toMatch(/Worker encoder: queue wrapper-encode; objects in/);
    expect(run.stdout).not.toContain('no SWITCHYARD_AMQP_URL');
  });

  it('DIR with no --env (options after it): the same', async () => {
    const { dir, dataDir } = await fleet(true);
    const run = await upUntilReady(['up', dir, `--data-dir=${dataDir}`]);
    expect(run.stderr).toContain(BROKER_LINE);
    expect(run.stdout).not.toContain('no SWITCHYARD_AMQP_URL');
  });

  it('a fleet without workers starts no broker', async () => {
    const { dir, dataDir } = await fleet(false);
    const run = await upUntilReady(['up', '-e', 'sandbox', dir, '--data-dir', dataDir]);
    expect(run.stderr).not.toContain('RabbitMQ');
    expect(run.stdout).toContain('web ');
  });

  it('an environment up cannot run starts nothing and the CLI says why', async () => {
    const { dir } = await fleet(true);
    await writeFile(
      join(dir, 'environments/production.yaml'),
      [
        'kind: Environment',
        'name: production',
        'runtime: kubernetes',
        'cluster: { context: production, namespace: video }',
        'serviceDefaults: { image: registry.example.com/web }',
        'workerDefaults: { image: registry.example.com/encoder }',
        '',
      ].join('\n'),
    );
    const run = await wrapper(['up', '--env', 'production', dir]);
    expect(await run.exit).toBe(64);
    expect(run.stderr).toContain('The environment production runs on Kubernetes, not on this machine');
    expect(run.stderr).not.toContain('RabbitMQ');
  });
});
