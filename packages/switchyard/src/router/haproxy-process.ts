import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { SwitchyardError } from '../errors/index.js';
import { RuntimeApi } from './runtime-api.js';

export const MIN_HAPROXY = { major: 2, minor: 6 } as const;

export interface HaproxyBinary {
  readonly path: string;
  readonly version: string;
}

/** Finds HAProxy (SWITCHYARD_HAPROXY_BIN, then PATH, then /usr/sbin) and checks it is 2.6 or newer. */
export function findHaproxy(explicit = process.env.SWITCHYARD_HAPROXY_BIN): HaproxyBinary {
  const candidates = explicit ? [explicit] : ['haproxy', '/usr/sbin/haproxy', '/usr/local/sbin/haproxy'];
  for (const path of candidates) {
    const run = spawnSync(path, ['-v'], { encoding: 'utf8' });
    if (run.error || run.status !== 0) continue;
    const match = /HA-?Proxy version (\d+)\.(\d+)(\S*)/i.exec(run.stdout);
    if (!match) continue;
    const [major, minor] = [Number(match[1]), Number(match[2])];
    const version = `${major}.${minor}${match[3] ?? ''}`;
    if (major < MIN_HAPROXY.major || (major === MIN_HAPROXY.major && minor < MIN_HAPROXY.minor)) {
      throw new SwitchyardError('SWY_ROUTER_HAPROXY_TOO_OLD', { message: `HAProxy at ${path} is ${version}; Switchyard needs ${MIN_HAPROXY.major}.${MIN_HAPROXY.minor} or newer`, details: { path, version } });
    }
    return { path, version };
  }
  throw new SwitchyardError('SWY_ROUTER_HAPROXY_MISSING', {
    message: explicit ? `HAProxy was not found at ${explicit} (SWITCHYARD_HAPROXY_BIN)` : 'HAProxy was not found on PATH or in /usr/sbin',
  });
}

/** Fails with a clear error when something already listens on `host:port`. */
export function ensurePortFree(host: string, port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(new SwitchyardError('SWY_ROUTER_PORT_IN_USE', { message: `Port ${port} on ${host} (${what}) is already in use`, details: { host, port, what } }));
      } else reject(err);
    });
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

export interface HaproxyProcessOptions {
  readonly binary: HaproxyBinary;
  readonly configPath: string;
  readonly statsSocket: string;
  readonly masterSocket: string;
  readonly logPath: string;
  /** Called when HAProxy exits on its own; the process restarts it. */
  readonly onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
  readonly onRestart?: () => void;
}

/**
 * One HAProxy in master-worker mode, started and supervised by Switchyard: if it dies it is
 * started again from the configuration on disk, which always holds the current state.
 */
export class HaproxyProcess {
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private stopping = false;
  private restarts = 0;
  readonly api: RuntimeApi;

  constructor(private readonly options: HaproxyProcessOptions) {
    this.api = new RuntimeApi(options.statsSocket);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Checks the configuration with `haproxy -c`; throws what HAProxy said when it refuses it. */
  validate(configPath = this.options.configPath): void {
    const run = spawnSync(this.options.binary.path, ['-c', '-f', configPath], { encoding: 'utf8' });
    if (run.status !== 0) {
      const alerts = `${run.stderr}\n${run.stdout}`.split('\n').filter((l) => /ALERT|WARNING/.test(l)).map((l) => l.replace(/^\[\w+\]\s+\(\d+\)\s*:\s*/, '').trim());
      throw new SwitchyardError('SWY_ROUTER_CONFIG_REJECTED', { message: `HAProxy refused ${configPath}: ${alerts.join(' / ') || (run.stderr || run.stdout).trim()}`, details: { configPath } });
    }
  }

  async start(): Promise<void> {
    this.stopping = false;
    this.log ??= createWriteStream(this.options.logPath, { flags: 'a' });
    // Its own process group: a Ctrl-C in the terminal reaches Switchyard, which stops HAProxy last.
    const child = spawn(this.options.binary.path, ['-W', '-db', '-f', this.options.configPath, '-S', this.options.masterSocket], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    let output = '';
    const capture = (chunk: Buffer) => {
      output += chunk.toString();
      this.log?.write(chunk);
    };
    child.stdout?.on('data', capture);
    child.stderr?.on('data', capture);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.once('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      if (this.stopping) return;
      this.options.onExit?.(code, signal);
      const delay = Math.min(5000, 200 * 2 ** Math.min(this.restarts, 5));
      this.restarts++;
      setTimeout(() => {
        if (this.stopping) return;
        this.start().then(() => this.options.onRestart?.(), () => undefined);
      }, delay).unref();
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (this.child !== child) break;
      if (existsSync(this.options.statsSocket)) {
        const info = await this.api.send('show info').catch(() => '');
        if (info.includes(`Pid:`)) {
          this.restarts = 0;
          return;
        }
      }
      await Promise.race([exited, sleep(25)]);
    }
    const reason = /cannot bind socket[^\n]*/i.exec(output)?.[0] ?? output.trim().split('\n').slice(-3).join(' ');
    child.kill('SIGKILL');
    throw new SwitchyardError(/cannot bind/i.test(output) ? 'SWY_ROUTER_PORT_IN_USE' : 'SWY_ROUTER_START_FAILED', {
      message: `HAProxy did not start with ${this.options.configPath}: ${reason || 'no output'}`,
      details: { log: this.options.logPath },
    });
  }

  /** Loads a changed configuration without dropping connections (master CLI `reload`). */
  async reload(): Promise<void> {
    this.validate();
    const before = await this.api.send('show info');
    const pid = /^Pid: (\d+)/m.exec(before)?.[1];
    // The master re-executes itself on each reload and briefly refuses its socket: a reload
    // right after another waits for it.
    const master = new RuntimeApi(this.options.masterSocket);
    for (let attempt = 0; ; attempt++) {
      try {
        await master.send('reload');
        break;
      } catch (err) {
        if (attempt >= 40) throw err;
        await sleep(50);
      }
    }
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const info = await this.api.send('show info').catch(() => '');
      const now = /^Pid: (\d+)/m.exec(info)?.[1];
      if (now && now !== pid) return;
      await sleep(25);
    }
    throw new SwitchyardError('SWY_ROUTER_START_FAILED', { message: `HAProxy did not reload ${this.options.configPath} within 10 s`, details: { log: this.options.logPath } });
  }

  /** From now on an exit is expected: HAProxy is not started again. */
  stopSupervising(): void {
    this.stopping = true;
  }

  /** Soft stop: finish in-flight requests, then leave; SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null) {
      this.log?.end();
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGUSR1');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    this.child = undefined;
    this.log?.end();
    this.log = undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
