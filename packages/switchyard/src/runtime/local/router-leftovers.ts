import { backendName, MAP_FILES, mapFile, type LiveServer } from '../../router/index.js';
import type { Leftover } from '../port.js';

/** A slot of the router as the runtime holds it: free, or given to a replica at `host:port`. */
export interface SlotView {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly state: 'active' | 'draining' | 'free';
}

export interface RouterView {
  /** The router's stats socket: where the removing command is sent. */
  readonly socket: string;
  /** Where its map files are. */
  readonly mapsDir: string;
  /** Track → the slots the runtime holds for it. */
  readonly slots: ReadonlyMap<string, readonly SlotView[]>;
  /** What HAProxy has (`show servers state`). */
  readonly live: readonly LiveServer[];
  /** Map file → its entries as HAProxy has them (`show map`). */
  readonly liveMaps: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Map file → its entries as the desired routing renders them. */
  readonly desiredMaps: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

/** The entries of a map file's text (`key value` per line), or of `show map`'s answer (`0x… key value`). */
export function mapEntries(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split('\n')) {
    const cells = line.trim().split(/\s+/);
    if (cells[0]?.startsWith('0x')) cells.shift();
    if (cells.length === 2 && cells[0]) entries.set(cells[0], cells[1] as string);
  }
  return entries;
}

/** Map files whose values name a track: an entry there routes a group to it. */
const TRACK_MAPS: readonly string[] = [MAP_FILES.canary, MAP_FILES.pinned];

const runtimeApi = (socket: string, command: string) => `echo '${command}' | socat stdio unix-connect:${socket}`;

/**
 * What a local router routes that no desired state explains: a server HAProxy sends requests
 * to while the runtime holds its slot free (set by hand through the Runtime API, or a replica
 * the runtime forgot), and map entries for groups the routing does not have. Each with the
 * Runtime API command that takes it out.
 */
export function routerLeftovers(view: RouterView): Leftover[] {
  const leftovers: Leftover[] = [];
  for (const [track, slots] of view.slots) {
    const backend = backendName(track);
    for (const server of view.live.filter((s) => s.backend === backend && s.state !== 'free')) {
      const slot = slots.find((s) => s.name === server.server);
      if (slot && slot.state !== 'free' && slot.host === server.host && slot.port === server.port) continue;
      leftovers.push({
        kind: 'router-server',
        name: `${backend}/${server.server} → ${server.host}:${server.port}`,
        track,
        remove: runtimeApi(view.socket, `set server ${backend}/${server.server} state maint`),
      });
    }
  }
  for (const [file, entries] of view.liveMaps) {
    const desired = view.desiredMaps.get(file) ?? new Map<string, string>();
    for (const [key, value] of entries) {
      if (desired.has(key)) continue;
      leftovers.push({
        kind: 'router-route',
        name: `${file} ${key} ${value}`,
        ...(TRACK_MAPS.includes(file) && view.slots.has(value) ? { track: value } : {}),
        remove: runtimeApi(view.socket, `del map ${mapFile(view.mapsDir, file)} ${key}`),
      });
    }
  }
  return leftovers.sort((a, b) => a.name.localeCompare(b.name));
}
