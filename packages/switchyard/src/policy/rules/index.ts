import type { Rule } from '../types.js';
import {
  hpaMinReplicas,
  hpaTargetExists,
  pdbAllowsEviction,
  pdbPresent,
  pdbSelectsPods,
  replicasMin,
  rollingUpdateSafe,
  serviceSelectsPods,
  spreadReplicas,
} from './availability.js';
import { costLabels, imageTagImmutable, namespaceSet } from './metadata.js';
import { probesDiffer, probesPresent } from './probes.js';
import { limitsNotBelowRequests, resourcesSet } from './resources.js';
import { nodePoolClass, routerNotOnSpot, workerGraceCoversTimeout } from './scheduling.js';
import { noHostNamespaces, securityContext } from './security.js';

/** Every rule, in the order reports list them. */
export const RULES: readonly Rule[] = [
  resourcesSet,
  limitsNotBelowRequests,
  replicasMin,
  probesPresent,
  probesDiffer,
  pdbPresent,
  pdbAllowsEviction,
  pdbSelectsPods,
  costLabels,
  imageTagImmutable,
  routerNotOnSpot,
  hpaMinReplicas,
  hpaTargetExists,
  serviceSelectsPods,
  rollingUpdateSafe,
  spreadReplicas,
  workerGraceCoversTimeout,
  nodePoolClass,
  securityContext,
  noHostNamespaces,
  namespaceSet,
];
