import { SwitchyardError } from '../errors/index.js';
import { readConfig } from '../config-dir/index.js';
import { resolveAll, resolveFleet, type Fleet } from '../spec/index.js';

/** One environment's fleet with --env, else every environment's. */
export async function loadFleets(dir: string, env: string | undefined): Promise<Fleet[]> {
  const files = await readConfig(dir);
  return env ? [resolveFleet(files, env)] : resolveAll(files);
}

export async function loadOneFleet(dir: string, env: string): Promise<Fleet> {
  return resolveFleet(await readConfig(dir), env);
}

/** Keeps only the named units; an unknown name is an error, not an empty result. */
export function selectUnits(fleet: Fleet, names: readonly string[] | undefined): Fleet {
  if (!names || names.length === 0) return fleet;
  const known = new Set(fleet.units.map((u) => u.name));
  for (const name of names) {
    if (!known.has(name)) {
      throw new SwitchyardError('SWY_SPEC_SERVICE_NOT_FOUND', {
        message: `The service ${name} does not exist in ${fleet.dir}`,
        hint: `Use one of: ${[...known].sort().join(', ')}.`,
        details: { service: name },
      });
    }
  }
  return { ...fleet, units: fleet.units.filter((u) => names.includes(u.name)) };
}
