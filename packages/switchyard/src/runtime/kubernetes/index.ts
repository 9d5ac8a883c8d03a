export {
  KubernetesRuntime,
  createRuntime,
  type KubernetesRuntimeOptions,
  type KubernetesApplyOptions,
} from './runtime.js';
export {
  KubeClient,
  configSource,
  type ConfigSource,
  isNotFound,
  httpStatus,
  type KubeClientOptions,
  type RequestParams,
  type WatchEvent,
} from './client.js';
export {
  applyObjects,
  plan,
  inventorySelector,
  listAll,
  FIELD_MANAGER,
  type ApplyOptions,
  type ApplyResult,
  type ObjectChange,
  type Plan,
} from './apply.js';
export {
  waitForRollout,
  deploymentProgress,
  podProblems,
  diagnose,
  describeProgress,
  type WaitOptions,
  type DeploymentProgress,
  type PodProblem,
  type LiveDeployment,
  type LivePod,
} from './rollout.js';
export {
  readIdentity,
  readClaims,
  judgeCluster,
  verifyCluster,
  claimCluster,
  CLAIMS,
  type ClusterIdentity,
  type Claims,
  type ClusterCheck,
} from './identity.js';
export { readyEndpoints, scaleDeployment, deploymentReplicas, DeploymentScaleTarget } from './endpoints.js';
export { renderedHash, withHash, covers, upToDate, APPLIED_HASH } from './compare.js';
export {
  RouterPods,
  updateRouters,
  readyRouterPods,
  runtimeApiSession,
  type RuntimeApiOutcome,
} from './router-pods.js';
export { KINDS, kindInfo, type KindInfo } from './kinds.js';
export {
  Informer,
  ObjectCache,
  backoffDelay,
  type InformerOptions,
  type InformerCounts,
  type CacheChange,
  type Backoff,
} from './informer.js';
export { LiveCache, type LiveCacheOptions, type LiveConfigMap } from './live-cache.js';
