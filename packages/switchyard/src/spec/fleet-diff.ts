import type { Environment, Fleet, Unit } from './model.js';

/** What a new configuration changes in one environment's fleet, by unit name (sorted). */
export interface FleetDiff {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** In both, with a different spec. */
  readonly changed: readonly string[];
  /** The environment's own settings differ (runtime, cluster, ports, freezes…). */
  readonly environmentChanged: boolean;
}

/** A spec compared whatever order its keys were built in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

export function sameUnit(a: Unit, b: Unit): boolean {
  return canonical(a) === canonical(b);
}

export function sameEnvironment(a: Environment, b: Environment): boolean {
  return canonical(a) === canonical(b);
}

/** Compares two fleets of the same environment; where their files live (`dir`) does not count. */
export function diffFleets(served: Fleet, next: Fleet): FleetDiff {
  const before = new Map(served.units.map((u) => [u.name, u]));
  const after = new Map(next.units.map((u) => [u.name, u]));
  const sorted = (names: Iterable<string>) => [...names].sort();
  return {
    added: sorted([...after.keys()].filter((n) => !before.has(n))),
    removed: sorted([...before.keys()].filter((n) => !after.has(n))),
    changed: sorted(
      [...after.entries()].filter(([n, u]) => before.has(n) && !sameUnit(before.get(n) as Unit, u)).map(([n]) => n),
    ),
    environmentChanged: !sameEnvironment(served.environment, next.environment),
  };
}

export function isEmptyDiff(diff: FleetDiff): boolean {
  return !diff.environmentChanged && diff.added.length + diff.removed.length + diff.changed.length === 0;
}
