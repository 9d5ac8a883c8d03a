export {
  renderFleet,
  renderUnit,
  sortObjects,
  withState,
  routerName,
  type RenderedUnit,
  type UnitState,
} from './render.js';
export { toYaml, toYamlStream, toFiles, objectFileName } from './output.js';
export { LABEL, ANNOTATION, MANAGED_BY, unitLabels } from './labels.js';
export { trackObjectName, autoscaled } from './service.js';
export {
  routerConfigData,
  ROUTER_PORT,
  ROUTER_STATS_PORT,
  ROUTER_CONFIG_DIR,
  ROUTER_RUNTIME_API_PORT,
} from './router.js';
export { workerObjectName, workerEnv } from './worker.js';
export { nodeClassLabel, SPOT_TAINT } from './pod.js';
export {
  isDeployment,
  KIND_ORDER,
  type KubeObject,
  type Deployment,
  type PodSpec,
  type Container,
  type Probe,
} from './objects.js';
