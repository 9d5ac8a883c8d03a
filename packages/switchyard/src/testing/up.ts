import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../runtime/index.js';
import { CLI, writeConfig } from './cli.js';
import { HTTP_SERVICE } from './local-fleet.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A one-service configuration on free ports for `switchyard up`. */
export async function writeUpFleet(): Promise<{ dir: string; routerPort: number; apiPort: number; api: string }> {
  const [routerPort, statsPort, apiPort] = [await freePort('127.0.0.1'), await freePort('127.0.0.1'), await freePort('127.0.0.1')];
  const dir = await writeConfig({
    'services/web.yaml': `kind: Service\nname: web\nteam: web\nproduct: vod\ncostCenter: cc-1\ncommand: [node, ${HTTP_SERVICE}]\nversion: 3.0.0\nresources: { cpu: 100m, memory: 64Mi }\nprobes:\n  readiness: { path: /ready }\n  liveness: { path: /healthz }\n`,
    'environments/sandbox.yaml': `kind: Environment\nname: sandbox\nruntime: local\nlocal: { routerPort: ${routerPort}, statsPort: ${statsPort}, apiPort: ${apiPort} }\n`,
  });
  return { dir, routerPort, apiPort, api: `http://127.0.0.1:${apiPort}` };
}

export interface UpProcess {
  readonly child: ChildProcess;
  readonly exit: Promise<number>;
  output(): string;
  /** Waits for "Ctrl-C stops everything." (the fleet is up). */
  ready(): Promise<void>;
  /** Ctrl-C, then the exit code. */
  stop(): Promise<number>;
}

/** `switchyard up <dir> --data-dir <dataDir>` from the built CLI, as a user runs it. */
export function startUp(dir: string, dataDir: string, env: NodeJS.ProcessEnv = {}): UpProcess {
  const child = spawn(process.execPath, [CLI, 'up', dir, '--data-dir', dataDir], { env: { ...process.env, NO_COLOR: '1', ...env } });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exit = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  return {
    child,
    exit,
    output: () => output,
    ready: () =>
      waitFor('up to be ready', () => output.includes('Ctrl-C stops everything.') || child.exitCode !== null, 60_000).then(() => {
        if (child.exitCode !== null) throw new Error(`up exited with ${child.exitCode}:\n${output}`);
      }),
    stop: () => {
      child.kill('SIGINT');
      return exit;
    },
  };
}
