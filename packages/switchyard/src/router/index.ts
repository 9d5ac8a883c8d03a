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
