import { initialRouting, type RoutingState } from '../router/index.js';
import type { Environment, Fleet, Service, Track, Unit } from '../spec/index.js';
import { KIND_ORDER, type KubeObject } from './objects.js';
import { routerName, routerObjects } from './router.js';
import {
  autoscaler,
  disruptionBudget,
  ingress,
  trackDeployment,
  trackObjectName,
  trackSelector,
  trackService,
} from './service.js';
import { workerObjects } from './worker.js';
import { LABEL } from './labels.js';

/**
 * What a release has changed since the spec: track versions and replica counts, and the
 * router's split. Rendering the spec with the live state gives the desired state.
 */
export interface UnitState {
  readonly tracks?: Readonly<Record<string, { readonly version?: string; readonly replicas?: number }>>;
  readonly routing?: RoutingState;
  /** The floor an open schedule window holds the stable track at now (see autoscaling.schedule). */
  readonly floor?: number;
}

export interface RenderedUnit {
  readonly unit: Unit;
  /** Sorted by kind, then name. */
  readonly objects: readonly KubeObject[];
}

export function withState(service: Service, state: UnitState | undefined): Service {
  if (!state?.tracks) return service;
  const tracks: Track[] = service.tracks.map((t) => {
    const change = state.tracks?.[t.name];
    return change ? { ...t, version: change.version ?? t.version, replicas: change.replicas ?? t.replicas } : t;
  });
  return { ...service, tracks };
}

function serviceObjects(spec: Service, env: Environment, state: UnitState | undefined): KubeObject[] {
  const service = withState(spec, state);
  const out: KubeObject[] = [];
  for (const track of service.tracks) {
    out.push(trackDeployment(service, track, state?.floor), trackService(service, track));
    out.push(
      disruptionBudget(service, trackObjectName(service.name, track.name), trackSelector(service, track.name), {
        [LABEL.track]: track.name,
        [LABEL.component]: 'track',
      }),
    );
  }
  const hpa = autoscaler(service, state?.floor);
  if (hpa) out.push(hpa);
  out.push(...routerObjects(service, state?.routing ?? initialRouting(service)));
  const ing = ingress(service, env, service.name);
  if (ing) out.push(ing);
  return out;
}

function kindRank(kind: string): number {
  const i = (KIND_ORDER as readonly string[]).indexOf(kind);
  return i === -1 ? KIND_ORDER.length : i;
}

export function sortObjects(objects: readonly KubeObject[]): KubeObject[] {
  return [...objects].sort(
    (a, b) =>
      kindRank(a.kind) - kindRank(b.kind) ||
      a.kind.localeCompare(b.kind) ||
      a.metadata.name.localeCompare(b.metadata.name),
  );
}

export function renderUnit(unit: Unit, env: Environment, state?: UnitState): RenderedUnit {
  const objects = unit.kind === 'Service' ? serviceObjects(unit, env, state) : workerObjects(unit);
  return { unit, objects: sortObjects(objects) };
}

export function renderFleet(fleet: Fleet, states: Readonly<Record<string, UnitState>> = {}): RenderedUnit[] {
  return fleet.units.map((unit) => renderUnit(unit, fleet.environment, states[unit.name]));
}

export { routerName };
