import type { ReleaseState } from '../release/index.js';
import type { HealthInput, Observation } from './types.js';

/**
 * The tracks a release in progress moves: the tracks its stages give the new version and its
 * canary tracks, never the stable one — except in a stage that names the stable track, while it
 * finishes (every track takes the new version) or while it reverts (every track it changed goes back).
 */
export function tracksInMotion(release: ReleaseState): Set<string> {
  const tracks = new Set([
    ...release.stages.flatMap((s) => (s.track ? [s.track] : [])),
    ...Object.values(release.canaryTracks),
  ]);
  tracks.delete(release.stableTrack);
  if (release.stages[release.stage]?.track === release.stableTrack || release.phase === 'finishing')
    tracks.add(release.stableTrack);
  if (release.phase === 'reverting') for (const t of release.applied) tracks.add(t);
  return tracks;
}

/** Phases in which the plan is rolling or scaling tracks right now. */
const ROLLING: readonly ReleaseState['phase'][] = ['applying', 'reverting', 'finishing'];

/** Whether the release itself explains the finding (the table in docs/health.md, "Releases in progress"). */
export function releaseCauses(release: ReleaseState, finding: Observation, input: HealthInput): boolean {
  if (finding.unit !== release.service || !tracksInMotion(release).has(finding.part)) return false;
  switch (finding.check) {
    case 'track-over-replicated':
      return true;
    case 'track-version': {
      const track = input.services
        .find((s) => s.service === finding.unit)
        ?.tracks.find((t) => t.track === finding.part);
      const expected = new Set([release.version, release.from.versions[finding.part]]);
      return (track?.replicas ?? [])
        .filter((r) => r.version !== undefined && r.version !== '' && r.version !== track?.version)
        .every((r) => expected.has(r.version));
    }
    case 'track-endpoints':
      return finding.part !== release.stableTrack && ROLLING.includes(release.phase);
    default:
      return false;
  }
}

/** Marks the findings a release in progress causes itself with `mutedBy`; the others are left as they are. */
export function muteByReleases(observations: readonly Observation[], input: HealthInput): Observation[] {
  return observations.map((o) => {
    const release = input.releases.find((r) => releaseCauses(r, o, input));
    return release ? { ...o, mutedBy: { release: release.id } } : o;
  });
}
