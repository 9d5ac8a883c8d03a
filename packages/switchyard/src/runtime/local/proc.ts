import { readdirSync, readFileSync } from 'node:fs';

/** What /proc says about one process; undefined when it is gone (or a zombie). */
export interface ProcInfo {
  readonly pid: number;
  readonly parent: number;
  /** Clock ticks after boot: with the pid, names one process for its whole life (a reused pid has another). */
  readonly startTime: number;
  /** Stopped (SIGSTOP) or traced: it cannot act on a signal it could catch. */
  readonly stopped: boolean;
  readonly argv: readonly string[];
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function procInfo(pid: number): ProcInfo | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0] ?? '';
  if (state === 'Z' || state === 'X') return undefined;
  const argv = (read(`/proc/${pid}/cmdline`) ?? '').split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
  return {
    pid,
    parent: Number(fields[1]),
    startTime: Number(fields[19]),
    stopped: state === 'T' || state === 't',
    argv,
  };
}

export function alive(pid: number): boolean {
  return procInfo(pid) !== undefined;
}

/** The variables a process was started with (readable for our own processes). */
export function environOf(pid: number): Map<string, string> {
  const text = read(`/proc/${pid}/environ`) ?? '';
  const vars = new Map<string, string>();
  for (const entry of text.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) vars.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return vars;
}

/** Live processes whose environment has `name=value`. */
export function processesWith(name: string, value: string): number[] {
  const needle = `${name}=${value}\0`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    if (`${read(`/proc/${pid}/environ`) ?? ''}\0`.includes(needle) && alive(pid)) pids.push(pid);
  }
  return pids;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves true once the process is gone, false if it is still there after `timeoutMs`. */
export async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(20);
  }
  return true;
}

export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone already
  }
}

/**
 * SIGTERM, then SIGKILL after the grace period; a stopped process cannot act on SIGTERM, so
 * it gets SIGKILL at once instead of holding its port for the whole grace period.
 */
export async function terminate(pid: number, graceMs: number): Promise<void> {
  if (procInfo(pid)?.stopped) signal(pid, 'SIGKILL');
  else signal(pid, 'SIGTERM');
  if (await waitGone(pid, graceMs)) return;
  signal(pid, 'SIGKILL');
  await waitGone(pid, 5000);
}
