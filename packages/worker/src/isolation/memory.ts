import { readFileSync, writeFileSync } from 'node:fs';

export interface MemoryStatus {
  /** Resident now. */
  readonly rss: number;
  /** The kernel's high-water mark of resident memory since the process began or its last reset. */
  readonly hwm: number;
}

function kilobytes(text: string, field: string): number | undefined {
  const at = text.indexOf(`\n${field}:`);
  if (at < 0) return undefined;
  const value = Number.parseInt(text.slice(at + field.length + 2).trimStart(), 10);
  return Number.isFinite(value) ? value * 1024 : undefined;
}

/**
 * A task process's resident memory and its peak, read from /proc by the parent in one read:
 * a child busy in a CPU-bound loop cannot be trusted to report on itself. Linux only;
 * elsewhere undefined and only --max-old-space-size and the container's limit apply.
 */
export function memoryStatus(pid: number): MemoryStatus | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'latin1');
    const rss = kilobytes(text, 'VmRSS');
    const hwm = kilobytes(text, 'VmHWM');
    return rss === undefined || hwm === undefined ? undefined : { rss, hwm };
  } catch {
    return undefined;
  }
}

export function residentBytes(pid: number): number | undefined {
  return memoryStatus(pid)?.rss;
}

/**
 * Resets the kernel's peak-RSS mark to the current resident size, so that the next rise is
 * one task's. It walks the process's page tables, so callers do it only after a task that
 * raised the mark. False when not allowed.
 */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
