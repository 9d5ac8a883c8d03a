import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Running, not gone and not a zombie waiting for a parent that no longer exists. */
export function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function parentOf(pid: number): number {
  const stat = read(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? 0);
}

/**
 * Every live process that belongs to a fleet: its environment or command line names the data
 * directory, or it runs in the configuration directory (where replicas run).
 */
export function processesOf(dataDir: string, configDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid || !alive(pid)) continue;
    const names =
      read(`/proc/${pid}/environ`).includes(dataDir) ||
      read(`/proc/${pid}/cmdline`).replace(/\0/g, ' ').includes(dataDir);
    let cwd = '';
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      // gone, or not ours to read
    }
    if (names || cwd === configDir) pids.push(pid);
  }
  return pids;
}

/** Pids the data directory's process record holds (any format Switchyard wrote). */
export function recordedPids(dataDir: string): number[] {
  let record: unknown;
  try {
    record = JSON.parse(readFileSync(join(dataDir, 'processes.json'), 'utf8'));
  } catch {
    return [];
  }
  const entries = Array.isArray(record)
    ? record
    : Object.values((record as { processes?: Record<string, unknown> }).processes ?? {});
  return entries.map((e) => (e as { pid?: number }).pid).filter((p): p is number => typeof p === 'number');
}

/**
 * Processes of the fleet that nobody knows: neither the control plane (`except`), nor in the
 * process record, nor a child of a recorded process (an HAProxy master's workers).
 */
export function orphansOf(dataDir: string, configDir: string, except: readonly number[] = []): number[] {
  const known = new Set([...recordedPids(dataDir), ...except]);
  const knownOrChild = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 8; p = parentOf(p), hops++) if (known.has(p)) return true;
    return false;
  };
  return processesOf(dataDir, configDir).filter((pid) => !knownOrChild(pid));
}
