import { SwitchyardError } from '../errors/index.js';
import type { Service } from '../spec/index.js';

function checkPercent(share: number, what: string): void {
  if (
    typeof share !== 'number' ||
    !Number.isFinite(share) ||
    share < 0 ||
    share > 100 ||
    Math.abs(share * 100 - Math.round(share * 100)) > 1e-9
  ) {
    throw new SwitchyardError('SWY_ROUTER_SHARE_INVALID', {
      message: `The share ${String(share)} for ${what} is not a percentage between 0 and 100 with at most two decimals`,
      details: { share },
    });
  }
}

/** Refuses a share change that the service's traffic policy does not allow; changes nothing. */
export function validateShare(service: Service, group: string, share: number): void {
  const known = service.traffic.groups.find((g) => g.name === group);
  if (!known) {
    throw new SwitchyardError('SWY_SPEC_GROUP_NOT_FOUND', {
      message: `${service.name} has no traffic group ${group}`,
      hint: `Use one of: ${
        service.traffic.groups
          .filter((g) => g.canaryTrack && g.canaryAllowed)
          .map((g) => g.name)
          .join(', ') || '(none with a canary track)'
      }.`,
      details: { service: service.name, group },
    });
  }
  if (!known.canaryAllowed || !known.canaryTrack) {
    throw new SwitchyardError('SWY_ROUTER_GROUP_NEVER_CANARY', {
      message: known.pinnedTrack
        ? `Group ${group} of ${service.name} always goes to track ${known.pinnedTrack}; it has no share to change`
        : `Group ${group} of ${service.name} never sees a canary`,
      details: { service: service.name, group },
    });
  }
  checkPercent(share, `group ${group}`);
}

export function validateLegacyShare(service: Service, share: number): void {
  if (!service.legacy) {
    throw new SwitchyardError('SWY_ROUTER_NO_LEGACY', {
      message: `${service.name} has no legacy backend`,
      details: { service: service.name },
    });
  }
  checkPercent(share, 'the legacy backend');
}

/** A pinned group may be sent to another of the service's tracks (and back). */
export function validateRoute(service: Service, group: string, track: string): void {
  const known = service.traffic.groups.find((g) => g.name === group);
  if (!known?.pinnedTrack) {
    throw new SwitchyardError('SWY_SPEC_GROUP_NOT_FOUND', {
      message: `${service.name} has no pinned traffic group ${group}`,
      hint: `Use one of: ${
        service.traffic.groups
          .filter((g) => g.pinnedTrack)
          .map((g) => g.name)
          .join(', ') || '(none)'
      }.`,
      details: { service: service.name, group },
    });
  }
  if (!service.tracks.some((t) => t.name === track)) {
    throw new SwitchyardError('SWY_SPEC_TRACK_NOT_FOUND', {
      message: `${service.name} has no track ${track}`,
      hint: `Use one of: ${service.tracks.map((t) => t.name).join(', ')}.`,
    });
  }
}
