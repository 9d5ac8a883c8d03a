import { allowedActions, type ReleaseState } from '../../release/index.js';

/** A release as the API shows it: where it stands and what a person may do now. */
export function stateView(state: ReleaseState) {
  const stage = state.stages[state.stage];
  return {
    id: state.id,
    service: state.service,
    environment: state.environment,
    version: state.version,
    plan: state.plan,
    status: state.status,
    phase: state.phase,
    stage: stage
      ? {
          index: state.stage,
          name: stage.name,
          of: state.stages.length,
          track: stage.track ?? null,
          shares: stage.shares,
          legacyShare: stage.legacyShare ?? null,
        }
      : null,
    stages: state.stages.map((s) => s.name),
    from: state.from,
    observingSince: state.observingSince ?? null,
    verdict: state.verdicts.at(-1) ?? null,
    outcome: state.outcome ?? null,
    allowed: allowedActions(state),
    /** A stage approved before it waited for a person: it advances once it passes. */
    approval: state.approvedAhead
      ? {
          stage: state.stages[state.approvedAhead.stage]?.name ?? String(state.approvedAhead.stage),
          by: state.approvedAhead.by,
          at: state.approvedAhead.at,
        }
      : null,
    createdBy: state.createdBy,
    reason: state.reason,
  };
}
