import type { Rule, Violation } from '../types.js';
import { containers, deployments, describe, partOf, unitField } from '../objects.js';

export const securityContext: Rule = {
  id: 'security-context',
  severity: 'warning',
  title: 'Containers run as non-root, read-only, without privilege escalation',
  rationale: 'A compromised replica should not own its node.',
  remedy:
    "Keep Switchyard's rendered securityContext (non-root, read-only root filesystem, no privilege escalation); if the image needs root, exempt the service with the reason.",
  check: ({ objects }) =>
    deployments(objects).flatMap((d) =>
      containers(d).flatMap((c): Violation[] => {
        const sc = (c.securityContext ?? {}) as {
          runAsNonRoot?: boolean;
          allowPrivilegeEscalation?: boolean;
          readOnlyRootFilesystem?: boolean;
          privileged?: boolean;
        };
        const wrong = [
          sc.runAsNonRoot === true ? undefined : 'runAsNonRoot is not true',
          sc.allowPrivilegeEscalation === false ? undefined : 'allowPrivilegeEscalation is not false',
          sc.readOnlyRootFilesystem === true ? undefined : 'readOnlyRootFilesystem is not true',
          sc.privileged === true ? 'privileged is true' : undefined,
        ].filter((w): w is string => w !== undefined);
        return wrong.length === 0
          ? []
          : [
              {
                object: d,
                message: `container ${c.name} of ${describe(d)}: ${wrong.join(', ')}`,
                fix: "Keep Switchyard's rendered securityContext; exempt the service with a reason if the image needs root.",
                field: unitField(partOf(d)),
              },
            ];
      }),
    ),
};

export const noHostNamespaces: Rule = {
  id: 'no-host-network',
  severity: 'warning',
  title: "Pods do not share the node's network or process namespace",
  rationale:
    'hostNetwork bypasses network policies and port isolation; use it only where measured load needs it, with an exemption saying so.',
  remedy: 'Remove hostNetwork and hostPID, or exempt the service with the reason (e.g. measured websocket load).',
  check: ({ objects }) =>
    deployments(objects)
      .filter(
        (d) =>
          d.spec.template.spec.hostNetwork === true || (d.spec.template.spec as { hostPID?: boolean }).hostPID === true,
      )
      .map((d) => ({
        object: d,
        message: `${describe(d)} uses the host's network or process namespace`,
        fix: 'Remove hostNetwork/hostPID, or exempt the service with the reason (e.g. measured websocket load).',
        field: unitField(partOf(d)),
      })),
};
