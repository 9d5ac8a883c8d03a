import { environOf, procInfo, processesWith, signal, terminate, waitGone } from './proc.js';
import type { Leftover } from '../port.js';
import { DATA_DIR_VAR, PROCESS_VAR, stillRunning, type ProcessRecord, type RecordedProcess } from './process-record.js';

/** What a previous control plane left running that may be kept: its routers and replicas, still the processes it recorded. */
export interface Adoptable {
  /** Service → its router's entry. */
  readonly routers: ReadonlyMap<string, RecordedProcess & { pid: number }>;
  /** `service/track` → the replicas recorded for it. */
  readonly replicas: ReadonlyMap<string, readonly (RecordedProcess & { pid: number })[]>;
  /** Processes stopped because nobody can keep them. */
  readonly stopped: number;
}

/** How long a leftover that cannot be kept (a worker finishing its tasks) has after SIGTERM. */
const LEFTOVER_GRACE_MS = 5000;

/** Whether `pid` is one of `ancestors` or runs below one of them. */
export function descendsFrom(pid: number, ancestors: ReadonlySet<number>): boolean {
  for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 16; hops++) {
    if (ancestors.has(p)) return true;
    p = procInfo(p)?.parent;
  }
  return false;
}

/**
 * Sorts what the previous run of this data directory left: recorded routers and replicas of
 * services that still exist and that are still the processes recorded are offered for
 * adoption; everything else of ours is stopped — workers, what the spec no longer has, a
 * process started but not yet given its pid in the record, and any process carrying this
 * data directory's tag that the record does not know. Nothing is left that nobody knows.
 */
export async function sortLeftovers(
  record: ProcessRecord,
  tracks: ReadonlyMap<string, readonly string[]>,
): Promise<Adoptable> {
  const { recorded, unnamed } = record.load();
  const routers = new Map<string, RecordedProcess & { pid: number }>();
  const replicas = new Map<string, (RecordedProcess & { pid: number })[]>();
  const doomed: number[] = [];
  // A record written before processes had names: those whose command line still matches are ours.
  for (const { pid, command } of unnamed) {
    if (procInfo(pid)?.argv.join(' ').trim() === command) doomed.push(pid);
  }
  for (const entry of recorded) {
    const pid = stillRunning(entry);
    if (pid === undefined) {
      record.gone(entry.name);
      continue;
    }
    const known = tracks.get(entry.service);
    if (entry.kind === 'router' && known) routers.set(entry.service, { ...entry, pid });
    else if (entry.kind === 'replica' && known?.includes(entry.track ?? '')) {
      const key = `${entry.service}/${entry.track}`;
      replicas.set(key, [...(replicas.get(key) ?? []), { ...entry, pid }]);
    } else {
      doomed.push(pid);
      record.gone(entry.name);
    }
  }
  const offered = new Set([...routers.values(), ...[...replicas.values()].flat()].map((e) => e.pid));
  const tagged = processesWith(DATA_DIR_VAR, record.dataDir).filter(
    (pid) => !offered.has(pid) && !descendsFrom(pid, offered),
  );
  // Children of a doomed process go with it; only the topmost of ours get the signal.
  const strays = tagged.filter(
    (pid) => !doomed.includes(pid) && !descendsFrom(procInfo(pid)?.parent ?? 0, new Set(tagged)),
  );
  const strayNames = strays.map((pid) => environOf(pid).get(PROCESS_VAR));
  await Promise.all(doomed.map((pid) => terminate(pid, LEFTOVER_GRACE_MS)));
  // Started but never ready or never recorded with its pid: it served nobody, so no grace.
  for (const pid of strays) signal(pid, 'SIGKILL');
  await Promise.all(strays.map((pid) => waitGone(pid, 5000)));
  for (const name of strayNames) if (name) record.gone(name);
  return { routers, replicas, stopped: doomed.length + strays.length };
}

/**
 * Replica processes of this data directory that nothing the runtime runs now owns (`owned`: its
 * routers', replicas' and workers' pids): by the service they say they serve. A process
 * started by a previous run and neither adopted nor stopped, or one started by hand with this
 * data directory's tag, is one.
 */
export function strayReplicas(dataDir: string, owned: ReadonlySet<number>): Map<string, Leftover[]> {
  const strays = new Map<string, Leftover[]>();
  for (const pid of processesWith(DATA_DIR_VAR, dataDir)) {
    if (descendsFrom(pid, owned)) continue;
    const env = environOf(pid);
    const service = env.get('SWITCHYARD_SERVICE');
    if (!service) continue;
    const track = env.get('SWITCHYARD_TRACK');
    const version = env.get('SWITCHYARD_VERSION');
    const leftover: Leftover = {
      kind: 'process',
      name: `${env.get(PROCESS_VAR) ?? 'replica'} (pid ${pid})`,
      ...(track ? { track } : {}),
      ...(version ? { version } : {}),
      remove: `kill ${pid}`,
    };
    strays.set(service, [...(strays.get(service) ?? []), leftover]);
  }
  return strays;
}
