import type { ReleaseState } from '../release/index.js';
import type { Observation } from './types.js';

const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;

/**
 * A stage observed past its duration plus the release's inconclusiveAfter: by then the stage
 * should have passed, failed or been judged inconclusive, so something holds it (a gate that
 * reads nothing, a measurement that never comes back, a freeze). A paused release waits on purpose.
 */
function stuckFindings(release: ReleaseState, now: Date): Observation[] {
  const stage = release.stages[release.stage];
  if (!stage || release.status !== 'running' || release.phase !== 'observing' || !release.observingSince) return [];
  const observed = now.getTime() - Date.parse(release.observingSince);
  const limit = stage.durationMs + release.settings.inconclusiveAfterMs;
  if (!(observed > limit)) return [];
  return [
    {
      check: 'release-stuck',
      severity: 'warning',
      unit: release.service,
      part: stage.name,
      objects: [`release/${release.id}`],
      message: `release ${release.id.slice(0, 8)} of ${release.service} ${release.version} has been in stage ${stage.name} for ${minutes(observed)}, past its ${minutes(stage.durationMs)} and ${minutes(release.settings.inconclusiveAfterMs)} to decide`,
      hint: `Look at its verdicts (\`switchyard status ${release.service}\`, GET /v1/releases/${release.id}): promote it if the figures are good, \`switchyard rollback ${release.service}\` if not.`,
    },
  ];
}

/** The current stage's latest verdict has a gate that does not pass. */
function gateFindings(release: ReleaseState): Observation[] {
  const stage = release.stages[release.stage];
  const verdict = release.verdicts.at(-1);
  if (!stage || !verdict || verdict.stage !== stage.name || release.status === 'rolling-back') return [];
  if (release.observingSince && Date.parse(verdict.at) < Date.parse(release.observingSince)) return [];
  const failing = verdict.gates.filter((g) => !g.ok);
  if (failing.length === 0) return [];
  return [
    {
      check: 'release-gate-failing',
      severity: 'warning',
      unit: release.service,
      part: stage.name,
      objects: [`release/${release.id}`, ...failing.map((g) => `gate/${g.gate}`)],
      message: `release ${release.id.slice(0, 8)} of ${release.service} ${release.version}, stage ${stage.name}: ${failing
        .map((g) => `${g.gate} ${g.value ?? 'no value'} (wants ${g.threshold})`)
        .join(', ')}`,
      hint: `The release rolls back on its own once the evidence is enough; look at the canary (\`switchyard status ${release.service}\`) and \`switchyard rollback ${release.service}\` now if users suffer.`,
    },
  ];
}

/** Every check of the releases in progress. */
export function releaseFindings(releases: readonly ReleaseState[], now: Date): Observation[] {
  return releases.flatMap((r) => [...stuckFindings(r, now), ...gateFindings(r)]);
}
