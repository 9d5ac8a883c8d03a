import type { Rule } from '../types.js';
import {
  containers,
  cpuMillis,
  deployments,
  describe,
  memoryBytes,
  limitOf,
  resourcesOf,
  unitField,
} from '../objects.js';

export const resourcesSet: Rule = {
  id: 'resources-set',
  severity: 'error',
  title: 'CPU and memory requests and limits are set',
  rationale:
    'Without requests the scheduler packs pods blindly and cost cannot be allocated; without limits one replica can starve its node.',
  remedy:
    'Set resources.cpu and resources.memory in the service file, and resources.limits where the defaults do not fit; the router takes router.resources, and each worker class its own cpu and memory.',
  check: ({ objects }) =>
    deployments(objects).flatMap((d) =>
      containers(d).flatMap((c) => {
        const missing = [
          c.resources?.requests?.cpu ? undefined : 'requests.cpu',
          c.resources?.requests?.memory ? undefined : 'requests.memory',
          c.resources?.limits?.cpu ? undefined : 'limits.cpu',
          c.resources?.limits?.memory ? undefined : 'limits.memory',
        ].filter((m): m is string => m !== undefined);
        return missing.length === 0
          ? []
          : [
              {
                object: d,
                message: `container ${c.name} of ${describe(d)} has no ${missing.join(', ')}`,
                fix: 'Set resources.cpu and resources.memory (and limits) in the service file.',
                field: unitField(resourcesOf(d)),
              },
            ];
      }),
    ),
};

export const limitsNotBelowRequests: Rule = {
  id: 'limits-not-below-requests',
  severity: 'error',
  title: 'Limits are at least the requests',
  rationale: 'Kubernetes refuses a limit below its request; catching it here saves a failed deploy.',
  remedy:
    'Raise resources.limits.cpu and resources.limits.memory to at least resources.cpu and resources.memory, or leave the limits out to take the defaults.',
  check: ({ objects }) =>
    deployments(objects).flatMap((d) =>
      containers(d).flatMap((c) => {
        const out = [];
        const cpuReq = cpuMillis(c.resources?.requests?.cpu);
        const cpuLim = cpuMillis(c.resources?.limits?.cpu);
        const memReq = memoryBytes(c.resources?.requests?.memory);
        const memLim = memoryBytes(c.resources?.limits?.memory);
        if (cpuReq !== undefined && cpuLim !== undefined && cpuLim < cpuReq)
          out.push({
            object: d,
            message: `container ${c.name} of ${describe(d)} has a CPU limit below its request`,
            fix: 'Raise resources.limits.cpu to at least resources.cpu.',
            field: unitField(limitOf(d, 'cpu')),
          });
        if (memReq !== undefined && memLim !== undefined && memLim < memReq)
          out.push({
            object: d,
            message: `container ${c.name} of ${describe(d)} has a memory limit below its request`,
            fix: 'Raise resources.limits.memory to at least resources.memory.',
            field: unitField(limitOf(d, 'memory')),
          });
        return out;
      }),
    ),
};
