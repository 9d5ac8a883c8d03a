import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { SwitchyardError } from '../../errors/index.js';
import type { ProcessLedger } from './process-ledger.js';
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
      throw new SwitchyardError('SWY_ROUTER_HAPROXY_TOO_OLD', {
        message: `HAProxy at ${path} is ${version}; Switchyard needs ${MIN_HAPROXY.major}.${MIN_HAPROXY.minor} or newer`,
        details: { path, version },
      });
    }
    return { path, version };
  }
  throw new SwitchyardError('SWY_ROUTER_HAPROXY_MISSING', {
    message: explicit
      ? `HAProxy was not found at ${explicit} (SWITCHYARD_HAPROXY_BIN)`
      : 'HAProxy was not found on PATH or in /usr/sbin',
  });
}

export interface HaproxyProcessOptions {
  readonly binary: HaproxyBinary;
  readonly configPath: string;
  readonly statsSocket: string;
  readonly masterSocket: string;
  readonly logPath: string;
  /** The service it routes for, and where it is written down before it starts. */
  readonly service: string;
  readonly record?: ProcessLedger;
  /** Called when HAProxy exits on its own; the process restarts it. */
  readonly onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
  readonly onRestart?: () => void;
}

/** How often an adopted HAProxy (not our child: no exit event) is looked for. */
const ADOPTED_POLL_MS = 250;

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone already
  }
}

/**
 * One HAProxy in master-worker mode, started and supervised by Switchyard: if it dies it is
 * started again from the configuration on disk, which always holds the current state. Its
 * output goes straight to its log file, so it serves on (and logs) while the control plane is
 * down; a restarted control plane adopts it and drives it through its sockets as before.
 */
export class HaproxyProcess {
  private child: ChildProcess | undefined;
  private adoptedPid: number | undefined;
  private stopping = false;
  private restarts = 0;
  readonly api: RuntimeApi;

  constructor(private readonly options: HaproxyProcessOptions) {
    this.api = new RuntimeApi(options.statsSocket);
  }

  get pid(): number | undefined {
    return this.child?.pid ?? this.adoptedPid;
  }

  /** Whether the HAProxy process runs now (a crashed one is gone until its restart). */
  get alive(): boolean {
    const pid = this.pid;
    return pid !== undefined && running(pid);
  }

  /** The record's name of this router. */
  get name(): string {
    return `router-${this.options.service}`;
  }

  /** Checks the configuration with `haproxy -c`; throws what HAProxy said when it refuses it. */
  validate(configPath = this.options.configPath): void {
    const run = spawnSync(this.options.binary.path, ['-c', '-f', configPath], { encoding: 'utf8' });
    if (run.status !== 0) {
      const alerts = `${run.stderr}\n${run.stdout}`
        .split('\n')
        .filter((l) => /ALERT|WARNING/.test(l))
        .map((l) => l.replace(/^\[\w+\]\s+\(\d+\)\s*:\s*/, '').trim());
      throw new SwitchyardError('SWY_ROUTER_CONFIG_REJECTED', {
        message: `HAProxy refused ${configPath}: ${alerts.join(' / ') || (run.stderr || run.stdout).trim()}`,
        details: { configPath },
      });
    }
  }

  /** The argv HAProxy is started with; an adopted one must have been started with it too. */
  get command(): string[] {
    return [this.options.binary.path, '-W', '-db', '-f', this.options.configPath, '-S', this.options.masterSocket];
  }

  /**
   * Takes over an HAProxy the previous control plane started (verified by the caller through
   * the process record) when its Runtime API answers; false when it does not.
   */
  async adopt(pid: number): Promise<boolean> {
    const info = await this.api.send('show info').catch(() => '');
    if (!info.includes('Pid:') || !running(pid)) return false;
    this.stopping = false;
    this.adoptedPid = pid;
    const timer = setInterval(() => {
      if (this.adoptedPid !== pid) return clearInterval(timer);
      if (running(pid)) return;
      clearInterval(timer);
      this.adoptedPid = undefined;
      this.gone(pid, null, null);
    }, ADOPTED_POLL_MS);
    timer.unref();
    return true;
  }

  /** An exit we did not ask for: start it again from the files on disk, with backoff. */
  private gone(pid: number, code: number | null, signal: NodeJS.Signals | null): void {
    this.options.record?.gone(this.name, pid);
    if (this.stopping) return;
    this.options.onExit?.(code, signal);
    const delay = Math.min(5000, 200 * 2 ** Math.min(this.restarts, 5));
    this.restarts++;
    setTimeout(() => {
      if (this.stopping) return;
      this.start().then(
        () => this.options.onRestart?.(),
        () => undefined,
      );
    }, delay).unref();
  }

  async start(): Promise<void> {
    this.stopping = false;
    const [program, ...args] = this.command as [string, ...string[]];
    const { record } = this.options;
    record?.starting({ name: this.name, kind: 'router', service: this.options.service, command: this.command });
    const logFrom = existsSync(this.options.logPath) ? statSync(this.options.logPath).size : 0;
    const log = openSync(this.options.logPath, 'a');
    let child: ChildProcess;
    try {
      // Its own process group: a Ctrl-C in the terminal reaches Switchyard, which stops HAProxy last.
      child = spawn(program, args, {
        stdio: ['ignore', log, log],
        detached: true,
        env: { ...process.env, ...record?.tag(this.name) },
      });
    } finally {
      closeSync(log);
    }
    this.child = child;
    this.adoptedPid = undefined;
    const pid = child.pid;
    if (pid !== undefined) record?.started(this.name, pid);
    child.once('error', () => undefined);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.once('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.gone(pid ?? 0, code, signal);
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
    const output = readFileSync(this.options.logPath, 'utf8').slice(logFrom);
    const reason = /cannot bind socket[^\n]*/i.exec(output)?.[0] ?? output.trim().split('\n').slice(-3).join(' ');
    child.kill('SIGKILL');
    await exited;
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
    throw new SwitchyardError('SWY_ROUTER_START_FAILED', {
      message: `HAProxy did not reload ${this.options.configPath} within 10 s`,
      details: { log: this.options.logPath },
    });
  }

  /** From now on an exit is expected: HAProxy is not started again. */
  stopSupervising(): void {
    this.stopping = true;
  }

  /** Soft stop: finish in-flight requests, then leave; SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    const pid = this.pid;
    if (pid === undefined || !running(pid)) return;
    const child = this.child;
    const exited =
      child && child.exitCode === null && child.signalCode === null
        ? new Promise<void>((resolve) => child.once('exit', () => resolve()))
        : Promise.resolve();
    signal(pid, 'SIGUSR1');
    const deadline = Date.now() + graceMs;
    while (running(pid) && Date.now() < deadline) await sleep(20);
    if (running(pid)) signal(pid, 'SIGKILL');
    while (running(pid)) await sleep(20);
    await exited;
    this.child = undefined;
    this.adoptedPid = undefined;
    this.options.record?.gone(this.name, pid);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
