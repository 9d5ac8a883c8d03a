import type { Unit } from '../spec/index.js';

/** Label keys Switchyard sets; the inventory used for pruning selects on MANAGED_BY. */
export const LABEL = {
  name: 'app.kubernetes.io/name',
  component: 'app.kubernetes.io/component',
  managedBy: 'app.kubernetes.io/managed-by',
  partOf: 'app.kubernetes.io/part-of',
  service: 'switchyard.dev/service',
  track: 'switchyard.dev/track',
  version: 'switchyard.dev/version',
  env: 'switchyard.dev/env',
  team: 'switchyard.dev/team',
  product: 'switchyard.dev/product',
  costCenter: 'switchyard.dev/cost-center',
  workerClass: 'switchyard.dev/worker-class',
  nodePoolClass: 'switchyard.dev/node-class',
  nodePool: 'switchyard.dev/node-pool',
  capacityType: 'switchyard.dev/capacity-type',
} as const;

export const MANAGED_BY = 'switchyard';

export const ANNOTATION = {
  source: 'switchyard.dev/source',
  configHash: 'switchyard.dev/config-hash',
  schedule: 'switchyard.dev/schedule',
  /** The floor an open schedule window holds the stable track at (replicas), while it raises it. */
  scheduleFloor: 'switchyard.dev/schedule-floor',
  /** The stable track's replicas without the floor, kept while a floor raises them. */
  replicasWithoutFloor: 'switchyard.dev/replicas-without-floor',
  scaleMin: 'switchyard.dev/scale-min',
  scaleMax: 'switchyard.dev/scale-max',
  queue: 'switchyard.dev/queue',
  /** `policy.switchyard.dev/<rule>: <reason>` exempts the object from one rule. */
  exemptPrefix: 'policy.switchyard.dev/',
} as const;

/** Labels every object of a unit carries: ownership, environment and cost allocation. */
export function unitLabels(unit: Unit): Record<string, string> {
  return {
    ...unit.labels,
    [LABEL.name]: unit.name,
    [LABEL.managedBy]: MANAGED_BY,
    [LABEL.service]: unit.name,
    [LABEL.env]: unit.env,
    [LABEL.team]: unit.team,
    ...(unit.product ? { [LABEL.product]: unit.product } : {}),
    ...(unit.costCenter ? { [LABEL.costCenter]: unit.costCenter } : {}),
  };
}

/** Annotations every object of a unit carries: where it came from and its policy exemptions. */
export function unitAnnotations(unit: Unit): Record<string, string> {
  const out: Record<string, string> = { [ANNOTATION.source]: unit.file };
  for (const [rule, reason] of Object.entries(unit.exemptions)) out[`${ANNOTATION.exemptPrefix}${rule}`] = reason;
  return out;
}
