import { routerName } from '../render/index.js';
import { DEFAULTS, type Fleet, type Service } from '../spec/index.js';
import type { Observation, RunningService, RunningTrack } from './types.js';

function specOf(fleet: Fleet, name: string): Service | undefined {
  return fleet.units.find((u): u is Service => u.kind === 'Service' && u.name === name);
}

/**
 * The ready endpoints a track needs: the service's minReplicasPerTrack (2 by default, spec
 * field `minReplicasPerTrack`), never more than the track is meant to run.
 */
export function minimumEndpoints(service: Service | undefined, track: RunningTrack): number {
  return Math.min(service?.minReplicasPerTrack ?? DEFAULTS.minReplicasPerTrack, track.desired);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The router at its replica count and ready. */
export function routerFindings(running: RunningService): Observation[] {
  const { desired, ready } = running.router;
  if (ready >= desired) return [];
  const down = ready === 0;
  return [
    {
      check: 'router-replicas',
      severity: down ? 'critical' : 'warning',
      unit: running.service,
      part: 'router',
      objects: [routerName(running.service)],
      message: down
        ? `the router of ${running.service} has no ready replica (0/${desired}): its users get no answer`
        : `the router of ${running.service} runs ${ready}/${desired} ready replicas`,
      hint: down
        ? 'Look at the router: `switchyard status -o wide` shows its process or pods; a router that keeps failing has a bad configuration or no port.'
        : 'A router replica is down or not ready: look at its pods (kubectl describe) or its process, and at the node it ran on.',
    },
  ];
}

function endpointFindings(running: RunningService, spec: Service | undefined, track: RunningTrack): Observation[] {
  const minimum = minimumEndpoints(spec, track);
  if (track.ready >= minimum) return [];
  const none = track.ready === 0;
  const notReady = track.replicas.filter((r) => r.state !== 'ready').map((r) => r.name);
  return [
    {
      check: 'track-endpoints',
      severity: none ? 'critical' : 'warning',
      unit: running.service,
      part: track.track,
      objects: notReady,
      message: none
        ? `${running.service}/${track.track} has no ready endpoint (0/${track.desired}): its users are served by another track or get errors`
        : `${running.service}/${track.track} has ${plural(track.ready, 'ready endpoint')}, below its minimum of ${minimum}: one more failure and its users lose it`,
      hint: 'Look at the replicas that are not ready (`switchyard status -o wide`): a crash loop, a failing readiness probe, or no room to run them.',
    },
  ];
}

function versionFindings(running: RunningService, track: RunningTrack): Observation[] {
  const other = track.replicas.filter(
    (r) => r.version !== undefined && r.version !== '' && r.version !== track.version,
  );
  if (other.length === 0) return [];
  const versions = [...new Set(other.map((r) => r.version))].sort();
  return [
    {
      check: 'track-version',
      severity: 'warning',
      unit: running.service,
      part: track.track,
      objects: other.map((r) => r.name),
      message: `${running.service}/${track.track} should run ${track.version}, but ${plural(other.length, 'replica')} ${other.length === 1 ? 'runs' : 'run'} ${versions.join(', ')}`,
      hint: 'A roll that did not finish or replicas an old deployment left behind: finish it with `switchyard track <service> <track> --version <version>`, or remove what is left.',
    },
  ];
}

function overReplicatedFindings(running: RunningService, track: RunningTrack): Observation[] {
  if (track.ready <= track.desired) return [];
  return [
    {
      check: 'track-over-replicated',
      severity: 'warning',
      unit: running.service,
      part: track.track,
      objects: track.replicas.map((r) => r.name),
      message: `${running.service}/${track.track} runs ${track.ready} ready replicas for ${track.desired} desired`,
      hint: 'Usually a roll in progress; if it lasts, something outside Switchyard scaled the track: scale it back with `switchyard track <service> <track> --replicas <n>`.',
    },
  ];
}

/** Every check of one service as it runs. */
export function serviceFindings(fleet: Fleet, running: RunningService): Observation[] {
  const spec = specOf(fleet, running.service);
  return [
    ...routerFindings(running),
    ...running.tracks.flatMap((track) => [
      ...endpointFindings(running, spec, track),
      ...versionFindings(running, track),
      ...overReplicatedFindings(running, track),
    ]),
  ];
}
