export { createRelease, transition, allowedActions, type NewRelease } from './machine.js';
export { evaluate, delta, judgedTrack, startJudgement, type Evaluation } from './gates.js';
export * as judge from './judge/index.js';
export { activeFreeze, describeFreeze, inWindow } from './freeze.js';
export {
  Orchestrator,
  rollbackStages,
  type OrchestratorOptions,
  type DeployRequest,
  type RollbackRequest,
  type LiveChange,
} from './orchestrator.js';
export type {
  ReleaseRepository,
  ReleaseReader,
  EndedRelease,
  ReleaseQuery,
  RecordedEvent,
  ReleaseTarget,
  ChangeRecorder,
  DesiredChange,
  Notifier,
  MetricsSource,
  PrometheusSource,
  Clock,
} from './ports.js';
export * from './types.js';
