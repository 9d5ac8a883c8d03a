import type { Fleet, LocalSettings } from './model.js';
import type { DocPath } from './source.js';

export interface RouterPorts {
  readonly port: number;
  readonly statsPort: number;
}

/** Router and stats ports of every service: explicit ones from the environment, the rest in name order. */
export function assignPorts(local: LocalSettings, services: readonly string[]): Map<string, RouterPorts> {
  const names = [...services].sort();
  return new Map(
    names.map((name, i) => [name, { port: local.ports[name] ?? local.routerPort + i, statsPort: local.statsPort + i }]),
  );
}

/** The ports the local runtime gives one fleet's routers. */
export function routerPorts(fleet: Fleet): Map<string, RouterPorts> {
  return assignPorts(
    fleet.environment.local,
    fleet.units.filter((u) => u.kind === 'Service').map((u) => u.name),
  );
}

/** A port of the local runtime that cannot work, blamed on the environment field that set it. */
export interface PortProblem {
  readonly path: DocPath;
  readonly code: string;
  readonly message: string;
  readonly hint: string;
}

interface PortUser {
  readonly port: number;
  readonly kind: 'router' | 'stats' | 'api';
  readonly what: string;
  readonly field: DocPath;
}

/** Which field to blame when two uses meet: the most specific one the file sets. */
const BLAME_ORDER = ['ports', 'statsPort', 'apiPort', 'routerPort'];
const MAX_PORT = 65535;

function portUsers(local: LocalSettings, services: readonly string[]): PortUser[] {
  const assigned = [...assignPorts(local, services)];
  return [
    ...assigned.map(([name, p]): PortUser => ({
      port: p.port,
      kind: 'router',
      what: `the router port of ${name}`,
      field: local.ports[name] !== undefined ? ['local', 'ports', name] : ['local', 'routerPort'],
    })),
    ...assigned.map(([name, p]): PortUser => ({
      port: p.statsPort,
      kind: 'stats',
      what: `the stats port of ${name}`,
      field: ['local', 'statsPort'],
    })),
    { port: local.apiPort, kind: 'api', what: 'the API port', field: ['local', 'apiPort'] },
  ];
}

/**
 * Every port one local environment needs must be its own: a router on a stats port answers
 * its health probes with the stats page, and two routers on one port split its requests.
 * `isSet` tells which fields the environment file sets, so that the problem lands on one of them.
 */
export function portProblems(
  local: LocalSettings,
  services: readonly string[],
  isSet: (path: DocPath) => boolean,
): PortProblem[] {
  const users = portUsers(local, services);
  const n = services.length;
  const layout = `with ${n} service${n === 1 ? '' : 's'}, router ports run from routerPort ${local.routerPort} to ${local.routerPort + n - 1} (unless local.ports sets one), stats ports from statsPort ${local.statsPort} to ${local.statsPort + n - 1}, and the API listens on apiPort ${local.apiPort}`;
  const problems: PortProblem[] = [];
  for (const name of Object.keys(local.ports)) {
    if (!services.includes(name)) {
      problems.push({
        path: ['local', 'ports', name],
        code: 'unknown_service',
        message: `local.ports sets a router port for ${name}, which is not a service of this configuration`,
        hint: `Fix the name (services: ${[...services].sort().join(', ')}) or remove it.`,
      });
    }
  }
  for (const user of users) {
    if (user.port > MAX_PORT) {
      problems.push({
        path: user.field,
        code: 'port_out_of_range',
        message: `${user.what} would be ${user.port}, past ${MAX_PORT}`,
        hint: `Lower ${user.field.join('.')}: ${layout}.`,
      });
    }
  }
  const byPort = new Map<number, PortUser[]>();
  for (const user of users) byPort.set(user.port, [...(byPort.get(user.port) ?? []), user]);
  // One problem per pair of clashing fields, however many ports the two ranges share.
  const clashes = new Map<string, { path: DocPath; first: string; more: number }>();
  for (const [port, sharing] of byPort) {
    if (sharing.length < 2) continue;
    const [a, b] = sharing as [PortUser, PortUser];
    const path = blame(a, b, isSet);
    const key = `${path.join('.')}|${a.kind}|${b.kind}`;
    const clash = clashes.get(key);
    if (clash) clash.more++;
    else clashes.set(key, { path, first: `port ${port} is both ${a.what} and ${b.what}`, more: 0 });
  }
  for (const { path, first, more } of clashes.values()) {
    problems.push({
      path,
      code: 'port_conflict',
      message: `${first}${more > 0 ? ` (and ${more} more port${more === 1 ? '' : 's'} the same way)` : ''}`,
      hint: `Give every router, stats page and the API a port of its own: ${layout}. Move ${path.join('.')} out of the others' way.`,
    });
  }
  return problems;
}

function blame(a: PortUser, b: PortUser, isSet: (path: DocPath) => boolean): DocPath {
  const rank = (u: PortUser) => (isSet(u.field) ? 0 : BLAME_ORDER.length) + BLAME_ORDER.indexOf(String(u.field[1]));
  return rank(a) <= rank(b) ? a.field : b.field;
}
