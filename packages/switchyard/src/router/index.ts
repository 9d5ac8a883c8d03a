export {
  renderHaproxyConfig,
  backendName,
  countsLatency,
  LEGACY_TRACK,
  type HaproxyConfigInput,
  type RouterServer,
} from './haproxy-config.js';
export { renderMaps, routingFromMaps, basisPoints, mapFile, BUCKETS, MAP_FILES } from './maps.js';
export { initialRouting, type RoutingState } from './routing-state.js';
export { validateShare, validateLegacyShare, validateRoute } from './shares.js';
export { planRouting, restoreCommands, type RoutingChange, type RoutingPlan } from './planner.js';
export {
  parseShowStat,
  trackFigures,
  combineFigures,
  withLatency,
  type TrackFigures,
  type StatTable,
  type ServerStatus,
} from './stats.js';
export { parseServersState, configStructure, type LiveServer } from './servers-state.js';
export type { Router } from './port.js';
export { refusal, interactiveScript, interactiveAnswers } from './runtime-answers.js';
export {
  LATENCY_BOUNDS_MS,
  EVERY_ANSWER,
  SHOW_LATENCY,
  parseLatencyTable,
  latencyTable,
  addHistograms,
  type LatencyBucket,
  type LatencyHistogram,
} from './latency.js';
