import type { Issue } from '../errors/index.js';
import { withState, type UnitState } from '../render/index.js';
import { initialRouting } from '../router/index.js';
import type { Service, Unit } from '../spec/index.js';

/**
 * Who owns what of a service. People own its spec (the configuration repository); the server
 * owns the live desired state it moved away from the spec — a track's version or replicas, a
 * traffic group's canary share, the legacy share — by a release, a share change or a track
 * roll it recorded. A people's commit never silently overwrites what the server owns: changing
 * such a field to anything else than what runs is a conflict, and the commit is refused
 * (SWY_CONFIG_CONFLICT) naming both commits. (A release in progress is not judged here: a
 * commit changing its service waits until it ends.)
 */
export interface ServerClaim {
  /** The desired state the server recorded for the service (absent: the spec alone is what runs). */
  readonly state?: UnitState;
  /** The server's config-repository commit that last changed the service. */
  readonly commit?: string;
}

/** An owned field as `path → value`: the paths are the ones a service file uses. */
export function ownedFields(service: Service, state?: UnitState): Map<string, string | number> {
  const running = withState(service, state);
  const routing = state?.routing ?? initialRouting(service);
  const fields = new Map<string, string | number>();
  for (const track of running.tracks) {
    fields.set(`tracks.${track.name}.version`, track.version);
    fields.set(`tracks.${track.name}.replicas`, track.replicas);
  }
  for (const [group, share] of Object.entries(routing.shares)) fields.set(`traffic.groups.${group}.share`, share);
  if (service.legacy) fields.set('legacy.share', routing.legacyShare);
  return fields;
}

const short = (sha: string | undefined) => (sha ? sha.slice(0, 12) : 'unknown');

/** One service judged: the conflicts of a commit, or the desired state to run its new spec with. */
export interface Reconciled {
  readonly issues: readonly Issue[];
  /** The server's state with the fields the commit changed (and the server had left as served) taken from the commit. */
  readonly state: UnitState | undefined;
}

function setField(state: UnitState, path: string, value: string | number): UnitState {
  const parts = path.split('.');
  if (parts[0] === 'tracks') {
    const [, track = '', field = ''] = parts;
    return { ...state, tracks: { ...state.tracks, [track]: { ...state.tracks?.[track], [field]: value } } };
  }
  const routing = state.routing ?? { shares: {}, legacyShare: 0 };
  if (parts[0] === 'traffic') {
    return { ...state, routing: { ...routing, shares: { ...routing.shares, [parts[2] ?? '']: value as number } } };
  }
  return { ...state, routing: { ...routing, legacyShare: value as number } };
}

/**
 * Judges one service changed by a people's commit against what the server claims of it. A
 * field the commit changes is the server's when the server runs something else than the
 * served spec says there (a release or a share change moved it): the commit must then set it
 * to what runs, or it is a conflict. A field the server left as served follows the commit.
 */
export function reconcile(served: Unit, next: Unit, claim: ServerClaim, commit: string): Reconciled {
  if (served.kind !== 'Service' || next.kind !== 'Service' || !claim.state) return { issues: [], state: claim.state };
  const issues: Issue[] = [];
  let state = claim.state;
  const before = ownedFields(served);
  const after = ownedFields(next);
  const live = ownedFields(served, claim.state);
  for (const [path, value] of after) {
    if (!before.has(path) || before.get(path) === value) continue; // not changed by the commit
    const running = live.get(path);
    if (running === value) continue; // the commit agrees with what runs
    if (running === undefined || running === before.get(path)) {
      state = setField(state, path, value); // the server never moved it: the commit's
      continue;
    }
    issues.push({
      code: 'SWY_CONFIG_CONFLICT',
      file: next.file,
      path,
      message: `${next.name}: commit ${short(commit)} sets ${path} to ${value} (served: ${before.get(path)}), but the server runs ${running} since its commit ${short(claim.commit)}`,
      hint: `The server owns it: change it with switchyard (deploy, traffic share, track), or set it to ${running} in the file.`,
    });
  }
  return { issues, state };
}
