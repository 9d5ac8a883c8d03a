import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../src/runtime/index.js';
import { CLI, writeConfig } from './cli.js';
import { HTTP_SERVICE } from './local-fleet.js';
import { BUILDS, RELEASE_SERVICE } from './release.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A one-service configuration on free ports for `switchyard up`. */
export async function writeUpFleet(): Promise<{ dir: string; routerPort: number; apiPort: number; api: string }> {
  const [routerPort, statsPort, apiPort] = [
    await freePort('127.0.0.1'),
    await freePort('127.0.0.1'),
    await freePort('127.0.0.1'),
  ];
  const dir = await writeConfig({
    'services/web.yaml': `kind: Service\nname: web\nteam: web\nproduct: vod\ncostCenter: cc-1\ncommand: [node, ${HTTP_SERVICE}]\nversion: 3.0.0\nresources: { cpu: 100m, memory: 64Mi }\nprobes:\n  readiness: { path: /ready }\n  liveness: { path: /healthz }\n`,
    'environments/sandbox.yaml': `kind: Environment\nname: sandbox\nruntime: local\nlocal: { routerPort: ${routerPort}, statsPort: ${statsPort}, apiPort: ${apiPort} }\n`,
  });
  return { dir, routerPort, apiPort, api: `http://127.0.0.1:${apiPort}` };
}

/** The release tests' service (four tracks, builds by version, quick stages) on free ports, with a data directory of its own. */
export async function writeReleaseUpFleet(
  prefix: string,
  release: Partial<(typeof RELEASE_SERVICE)['release']> = {},
): Promise<{ dir: string; dataDir: string; api: string; url: string }> {
  const [routerPort, statsPort, apiPort] = [
    await freePort('127.0.0.1'),
    await freePort('127.0.0.1'),
    await freePort('127.0.0.1'),
  ];
  const service = {
    kind: 'Service',
    name: 'api',
    team: 'web',
    product: 'vod',
    costCenter: 'cc-1',
    version: '1.0.0',
    resources: { cpu: '100m', memory: '64Mi' },
    probes: { readiness: { path: '/ready', periodSeconds: 1 }, liveness: { path: '/healthz' } },
    terminationGraceSeconds: 5,
    ...RELEASE_SERVICE,
    release: { ...RELEASE_SERVICE.release, ...release },
  };
  const dir = await writeConfig({
    'services/api.yaml': stringify(service),
    'environments/sandbox.yaml': stringify({
      kind: 'Environment',
      name: 'sandbox',
      runtime: 'local',
      local: { routerPort, statsPort, apiPort },
    }),
    ...BUILDS,
  });
  return {
    dir,
    dataDir: await mkdtemp(join(tmpdir(), prefix)),
    api: `http://127.0.0.1:${apiPort}`,
    url: `http://127.0.0.1:${routerPort}/`,
  };
}

/** The Authorization value of the admin token `up` saved in its data directory. */
export function adminAuth(dataDir: string): string {
  return `Bearer ${readFileSync(join(dataDir, 'admin.token'), 'utf8').trim()}`;
}

export interface UpProcess {
  readonly child: ChildProcess;
  readonly exit: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
  output(): string;
  /** Waits for the line that says how to stop it (the fleet is up, the API answers). */
  ready(): Promise<void>;
  /** Ctrl-C (when it still runs), then the exit code. */
  stop(): Promise<number>;
}

/** `switchyard up <dir> --data-dir <dataDir>` from the built CLI, as a user runs it. */
export function startUp(dir: string, dataDir: string, env: NodeJS.ProcessEnv = {}): UpProcess {
  return startForeground(['up', dir, '--data-dir', dataDir], env);
}

/** A command of the built CLI that runs in the foreground until Ctrl-C (`up`, `server`). */
export function startForeground(args: readonly string[], env: NodeJS.ProcessEnv = {}): UpProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    exit,
    output: () => output,
    ready: () =>
      waitFor(
        `${args[0] ?? 'the command'} to be ready`,
        () => /Ctrl-C stops/.test(output) || child.exitCode !== null,
        90_000,
      ).then(() => {
        if (child.exitCode !== null) throw new Error(`${args[0]} exited with ${child.exitCode}:\n${output}`);
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return (await exit).code ?? -1;
    },
  };
}
