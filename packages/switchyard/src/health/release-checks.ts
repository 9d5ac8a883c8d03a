import type { EndedRelease, ReleaseState } from '../release/index.js';
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

/** How long a release that ended badly stays a finding while it is still its service's newest release. */
export const ENDED_HOLD_MS = 60 * 60_000;

/** The statuses of a release that ended badly. */
export const ENDED_BADLY = ['rolled-back', 'aborted', 'failed'] as const;

const clock = (at: string) => at.slice(11, 16);

/**
 * A release that ended badly, for an hour or until the service's next release starts: failed (its
 * revert did not complete: critical), rolled back (by its gates or a person: warning), or aborted
 * (a person stopped it on purpose: info). Its `since` is when it ended.
 */
export function endedFindings({ release, endedAt }: EndedRelease): Observation[] {
  const stage = release.stages[release.stage]?.name ?? 'release';
  const verdict = release.verdicts.at(-1);
  const failing = verdict?.stage === stage ? verdict.gates.filter((g) => !g.ok) : [];
  const id = release.id.slice(0, 8);
  const base = {
    unit: release.service,
    part: stage,
    since: endedAt,
    objects: [`release/${release.id}`, ...failing.map((g) => `gate/${g.gate}`)],
  };
  const outcome = release.outcome ? `: ${release.outcome}` : '';
  const look = `look at its verdicts and what happened around it (\`switchyard timeline --service ${release.service}\`, GET /v1/releases/${release.id})`;
  if (release.status === 'failed') {
    return [
      {
        ...base,
        check: 'release-failed',
        severity: 'critical',
        message: `release ${id} of ${release.service} ${release.version} failed at ${clock(endedAt)} UTC in stage ${stage}${outcome}`,
        hint: `Its revert did not complete: tracks may still run ${release.version} or the routing may still send a share to it. Compare \`switchyard status ${release.service}\` with the version before (${Object.values(release.from.versions).join(', ')}), then \`switchyard rollback ${release.service}\` again; ${look}.`,
      },
    ];
  }
  const rolledBack = release.status === 'rolled-back';
  return [
    {
      ...base,
      check: 'release-rolled-back',
      severity: rolledBack ? 'warning' : 'info',
      message: `release ${id} of ${release.service} ${release.version} was ${rolledBack ? 'rolled back' : 'aborted'} at ${clock(endedAt)} UTC in stage ${stage}${outcome}`,
      hint: `${release.service} runs its previous version again (\`switchyard status ${release.service}\`); ${look} before deploying a fix. This clears when the next release of ${release.service} starts, or an hour after it ended.`,
    },
  ];
}
