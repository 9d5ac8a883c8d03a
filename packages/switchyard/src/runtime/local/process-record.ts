import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcessLedger, StartingProcess } from './process-ledger.js';
import { environOf, procInfo } from './proc.js';

/** Every process Switchyard starts carries these, so a restarted control plane can find it in /proc. */
export const DATA_DIR_VAR = 'SWITCHYARD_DATA_DIR';
export const PROCESS_VAR = 'SWITCHYARD_PROCESS';

export interface RecordedProcess extends StartingProcess {
  /** Unset between the record and the spawn: the process is then found by its PROCESS_VAR. */
  readonly pid?: number;
  readonly startTime?: number;
}

interface RecordFile {
  readonly version: 1;
  readonly processes: Record<string, RecordedProcess>;
}

/** What the previous control plane left: its processes, and pids of a record Switchyard wrote before it had names. */
export interface Leftovers {
  readonly recorded: readonly RecordedProcess[];
  readonly unnamed: readonly { pid: number; command: string }[];
}

/**
 * The durable record of every process Switchyard starts (`<data-dir>/processes.json`):
 * written before a spawn and again once the pid is known, so that after a kill -9 of the
 * control plane each process it left is either adopted or stopped, never forgotten. Writes are
 * synchronous and atomic (a rename): the record on disk is always whole, and always ahead of
 * the processes it describes.
 */
export class ProcessRecord implements ProcessLedger {
  private readonly processes = new Map<string, RecordedProcess>();
  readonly file: string;

  constructor(readonly dataDir: string) {
    this.file = join(dataDir, 'processes.json');
  }

  /**
   * Reads what the previous run recorded. Its entries stay in the record until each is kept
   * (adopted) or dropped (stopped), so a crash during a restart forgets nothing either.
   */
  load(): Leftovers {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch {
      return { recorded: [], unnamed: [] };
    }
    if (Array.isArray(parsed)) return { recorded: [], unnamed: parsed as { pid: number; command: string }[] };
    const recorded = Object.values((parsed as RecordFile).processes ?? {});
    for (const entry of recorded) this.processes.set(entry.name, entry);
    return { recorded, unnamed: [] };
  }

  /** The variables that tie a process to this record. */
  tag(name: string): Record<string, string> {
    return { [DATA_DIR_VAR]: this.dataDir, [PROCESS_VAR]: name };
  }

  starting(entry: StartingProcess): void {
    this.processes.set(entry.name, { ...entry });
    this.write();
  }

  started(name: string, pid: number): void {
    const entry = this.processes.get(name);
    if (!entry) return;
    const startTime = procInfo(pid)?.startTime;
    this.processes.set(name, { ...entry, pid, ...(startTime !== undefined ? { startTime } : {}) });
    this.write();
  }

  /** Keeps a process the previous control plane started (adopted). */
  keep(entry: RecordedProcess): void {
    this.processes.set(entry.name, entry);
    this.write();
  }

  gone(name: string, pid?: number): void {
    const entry = this.processes.get(name);
    if (!entry || (pid !== undefined && entry.pid !== undefined && entry.pid !== pid)) return;
    this.processes.delete(name);
    this.write();
  }

  entries(): RecordedProcess[] {
    return [...this.processes.values()];
  }

  private write(): void {
    const content: RecordFile = {
      version: 1,
      processes: Object.fromEntries([...this.processes].sort(([a], [b]) => a.localeCompare(b))),
    };
    writeFileSync(`${this.file}.tmp`, `${JSON.stringify(content, null, 1)}\n`, { mode: 0o600 });
    renameSync(`${this.file}.tmp`, this.file);
  }
}

/**
 * The live process a record entry names, when it is still that process: the same pid and
 * start time (a pid the kernel handed to someone else is not ours), the command it was
 * started with, and our tag in its environment.
 */
export function stillRunning(entry: RecordedProcess): number | undefined {
  if (entry.pid === undefined) return undefined;
  const info = procInfo(entry.pid);
  if (!info || (entry.startTime !== undefined && info.startTime !== entry.startTime)) return undefined;
  // HAProxy's master adds arguments when it re-executes itself on a reload; what we started is a prefix.
  if (entry.command.some((arg, i) => info.argv[i] !== arg)) return undefined;
  if (environOf(entry.pid).get(PROCESS_VAR) !== entry.name) return undefined;
  return entry.pid;
}
