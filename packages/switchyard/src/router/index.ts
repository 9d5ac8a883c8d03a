export {
  renderHaproxyConfig,
  renderMaps,
  backendName,
  basisPoints,
  BUCKETS,
  LEGACY_TRACK,
  MAP_FILES,
  type HaproxyConfigInput,
  type RouterServer,
} from './haproxy-config.js';
export { initialRouting, type RoutingState } from './routing-state.js';
export { validateShare, validateLegacyShare, validateRoute } from './shares.js';
export { findHaproxy, ensurePortFree, HaproxyProcess, MIN_HAPROXY, type HaproxyBinary } from './haproxy-process.js';
export { RuntimeApi } from './runtime-api.js';
export { LocalRouter, type RouterEvent, type Slot } from './local-router.js';
export { parseShowStat, trackFigures, type TrackFigures, type StatTable } from './stats.js';
export type { ProcessLedger, StartingProcess } from './process-ledger.js';
