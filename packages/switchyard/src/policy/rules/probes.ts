import type { Probe } from '../../render/index.js';
import type { Rule } from '../types.js';
import { containers, deployments, describe, settingsOf, unitField } from '../objects.js';

function same(a: Probe | undefined, b: Probe | undefined): boolean {
  return a !== undefined && b !== undefined && JSON.stringify({ ...a }) === JSON.stringify({ ...b });
}

export const probesPresent: Rule = {
  id: 'probes-present',
  severity: 'error',
  title: 'Serving containers have readiness and liveness probes',
  rationale:
    'Without readiness the router sends users to replicas that are still starting; without liveness a hung replica is never restarted.',
  remedy: 'Add probes.readiness and probes.liveness to the service file, e.g. { path: /ready } and { path: /healthz }.',
  check: ({ objects }) =>
    deployments(objects).flatMap((d) =>
      containers(d).flatMap((c) => {
        const missing = [c.readinessProbe ? undefined : 'readiness', c.livenessProbe ? undefined : 'liveness'].filter(
          (m): m is string => m !== undefined,
        );
        return missing.length === 0
          ? []
          : [
              {
                object: d,
                message: `container ${c.name} of ${describe(d)} has no ${missing.join(' or ')} probe`,
                fix: `Add probes.${missing[0]} to the service file, e.g. { path: /${missing[0] === 'readiness' ? 'ready' : 'healthz'} }.`,
                field: unitField([...settingsOf(d), 'probes', missing[0] as string]),
              },
            ];
      }),
    ),
};

export const probesDiffer: Rule = {
  id: 'probes-differ',
  severity: 'warning',
  title: 'Readiness and liveness probes differ',
  rationale:
    'When both probes are the same, a replica that is only busy is restarted instead of taken out of rotation, and a slow dependency restarts the whole track.',
  remedy: 'Give liveness its own cheap endpoint (/healthz) and keep dependency checks in readiness (/ready).',
  check: ({ objects }) =>
    deployments(objects).flatMap((d) =>
      containers(d)
        .filter((c) => same(c.readinessProbe, c.livenessProbe))
        .map((c) => ({
          object: d,
          message: `container ${c.name} of ${describe(d)} uses the same probe for readiness and liveness`,
          fix: 'Give liveness its own cheap endpoint (/healthz) and keep dependency checks in readiness (/ready).',
          field: unitField([...settingsOf(d), 'probes', 'liveness']),
        })),
    ),
};
