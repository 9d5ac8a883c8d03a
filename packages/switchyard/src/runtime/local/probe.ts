import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import type { Probe } from '../../spec/index.js';

/** Where a probe reaches one replica: its port, and for an exec probe its directory and environment. */
export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
}

function httpProbe(host: string, port: number, path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) >= 200 && (res.statusCode ?? 500) < 400);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** As the kubelet runs an exec probe: success is exit code 0 within the timeout. */
function execProbe(command: readonly string[], target: ProbeTarget, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const [program, ...args] = command;
    if (!program) return resolve(false);
    const child = spawn(program, args, {
      cwd: target.cwd,
      env: { ...process.env, ...target.env, PORT: String(target.port), HOST: target.host },
      stdio: 'ignore',
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

/** One run of a probe (readiness or liveness); without a probe, the port accepting a connection. */
export function runProbe(probe: Probe | undefined, target: ProbeTarget): Promise<boolean> {
  const timeoutMs = (probe?.timeoutSeconds ?? 1) * 1000;
  if (probe?.kind === 'http') return httpProbe(target.host, target.port, probe.path ?? '/', timeoutMs);
  if (probe?.kind === 'exec' && probe.exec) return execProbe(probe.exec, target, timeoutMs);
  return tcpProbe(target.host, target.port, timeoutMs);
}

/**
 * The liveness probe as the kubelet runs it: first after `initialDelaySeconds` from the start,
 * then every `periodSeconds`, each run failing after `timeoutSeconds`; `failureThreshold`
 * failures in a row call `onFailure` once, and the watch ends.
 */
export class LivenessWatch {
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly probe: Probe,
    private readonly target: ProbeTarget,
    private readonly onFailure: (failures: number) => void,
  ) {}

  /** `startedAt`: when the process started (an adopted one started long ago: no delay left). */
  start(startedAt: number): void {
    const delay = Math.max(0, startedAt + this.probe.initialDelaySeconds * 1000 - Date.now());
    this.schedule(delay);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.run(), ms);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    const began = Date.now();
    const ok = await runProbe(this.probe, this.target);
    if (this.stopped) return;
    this.failures = ok ? 0 : this.failures + 1;
    if (this.failures >= this.probe.failureThreshold) {
      this.stopped = true;
      this.onFailure(this.failures);
      return;
    }
    this.schedule(Math.max(0, began + this.probe.periodSeconds * 1000 - Date.now()));
  }
}
