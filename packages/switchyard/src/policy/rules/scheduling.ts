import { WORKER_ENV } from '@switchyard/worker/contract';
import { parseDuration } from '@switchyard/worker/units';
import { LABEL, SPOT_TAINT, type Deployment } from '../../render/index.js';
import type { Rule } from '../types.js';
import { deployments, describe, isRouter, partOf, unitField } from '../objects.js';

/** Whether a pod may land on spot capacity: it tolerates the spot taint and does not exclude spot nodes. */
export function mayRunOnSpot(d: Deployment): boolean {
  const pod = d.spec.template.spec;
  const tolerates = (pod.tolerations ?? []).some(
    (t) =>
      (t.key === SPOT_TAINT.key && (t.operator === 'Exists' || t.value === SPOT_TAINT.value)) ||
      (t.operator === 'Exists' && !t.key),
  );
  if (!tolerates) return false;
  const terms = pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const excludesSpot =
    terms.length > 0 &&
    terms.every((term) =>
      term.matchExpressions.some(
        (e) =>
          e.key === LABEL.capacityType &&
          ((e.operator === 'NotIn' && e.values?.includes('spot')) ||
            (e.operator === 'In' && !e.values?.includes('spot'))),
      ),
    );
  return !excludesSpot;
}

export const routerNotOnSpot: Rule = {
  id: 'router-not-on-spot',
  severity: 'error',
  title: 'Routers run on on-demand capacity',
  rationale: 'Every request of a service passes through its router; spot reclaims would take several routers at once.',
  remedy: 'Keep router.nodePool.capacity at on-demand (the default).',
  check: ({ objects }) =>
    deployments(objects)
      .filter((d) => isRouter(d) && mayRunOnSpot(d))
      .map((d) => ({
        object: d,
        message: `${describe(d)} may be scheduled on spot nodes`,
        fix: 'Set router.nodePool.capacity: on-demand (the default) in the service file.',
        field: unitField(['router', 'nodePool', 'capacity']),
      })),
};

export const nodePoolClass: Rule = {
  id: 'node-pool-class',
  severity: 'warning',
  title: 'Workloads name the node pool class they fit',
  rationale: 'Pods placed by CPU:memory ratio strand the least capacity; capacity planning groups pools by this class.',
  remedy: 'Set nodePool.class to the CPU:memory ratio the workload fits, in cores:GiB (e.g. "1:4").',
  check: ({ objects }) =>
    deployments(objects)
      .filter((d) => !isRouter(d))
      .filter((d) => {
        const terms =
          d.spec.template.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
            ?.nodeSelectorTerms ?? [];
        return !terms.some((t) => t.matchExpressions.some((e) => e.key === LABEL.nodePoolClass));
      })
      .map((d) => ({
        object: d,
        message: `${describe(d)} does not name a node pool class`,
        fix: 'Set nodePool.class (CPU:memory in cores:GiB, e.g. "1:4") in the service file.',
        field: unitField(['nodePool', 'class']),
      })),
};

export const workerGraceCoversTimeout: Rule = {
  id: 'worker-grace-covers-timeout',
  severity: 'error',
  title: 'Workers get time to finish their longest task when stopped',
  rationale:
    'When a spot node is reclaimed the worker gets SIGTERM; a grace period shorter than the task timeout kills tasks half-done.',
  remedy: 'Raise terminationGraceSeconds above the longest class timeout, or shorten that timeout.',
  check: ({ objects }) =>
    deployments(objects).flatMap((d) => {
      const timeout = d.spec.template.spec.containers
        .flatMap((c) => c.env ?? [])
        .find((e) => e.name === WORKER_ENV.timeoutMs.name)?.value;
      if (!timeout) return [];
      const seconds = (parseDuration(timeout) ?? 0) / 1000;
      const grace = d.spec.template.spec.terminationGracePeriodSeconds ?? 30;
      return grace >= seconds
        ? []
        : [
            {
              object: d,
              message: `${describe(d)} gives ${grace}s to finish tasks that may run ${timeout}`,
              fix: 'Raise terminationGraceSeconds above the class timeout.',
              field: unitField(['terminationGraceSeconds'], [...partOf(d), 'timeout']),
            },
          ];
    }),
};
