import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';

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

/** /proc/<pid>/status is about 1.5 KiB. */
const STATUS_BYTES = 4096;

/**
 * A task process's resident memory and its peak, read by the parent from /proc (a child busy
 * in a CPU-bound loop cannot be trusted to report on itself). The status file is opened once
 * per process and re-read in place: a read is then one system call, a third of opening it
 * each time, which matters when it is read after every task. The descriptor names that
 * process only, never a later one given the same pid. Linux only; elsewhere every read is
 * undefined and only --max-old-space-size and the container's limit apply.
 */
export class ProcessMemory {
  private fd: number | undefined;
  private readonly buffer = Buffer.allocUnsafe(STATUS_BYTES);

  constructor(readonly pid: number) {
    try {
      this.fd = openSync(`/proc/${pid}/status`, 'r');
    } catch {
      this.fd = undefined;
    }
  }

  status(): MemoryStatus | undefined {
    if (this.fd === undefined) return undefined;
    try {
      const read = readSync(this.fd, this.buffer, 0, STATUS_BYTES, 0);
      const text = this.buffer.toString('latin1', 0, read);
      const rss = kilobytes(text, 'VmRSS');
      const hwm = kilobytes(text, 'VmHWM');
      return rss === undefined || hwm === undefined ? undefined : { rss, hwm };
    } catch {
      return undefined;
    }
  }

  /**
   * Resets the kernel's peak-RSS mark to the current resident size, so that the next rise is
   * one task's. It walks the process's page tables, so callers do it only after a task that
   * raised the mark. False when not allowed.
   */
  resetPeak(): boolean {
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
