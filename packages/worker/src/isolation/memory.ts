import { readFileSync, writeFileSync } from 'node:fs';

/**
 * A task process's resident memory, read from /proc by the parent: a child busy in a
 * CPU-bound loop cannot be trusted to report on itself. Linux only; elsewhere undefined and
 * only --max-old-space-size and the container's limit apply.
 */
function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export function residentBytes(pid: number): number | undefined {
  return statusField(pid, 'VmRSS');
}

export function peakResidentBytes(pid: number): number | undefined {
  return statusField(pid, 'VmHWM');
}

/** Resets the kernel's peak-RSS mark so the next peak is one task's. False when not allowed. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
