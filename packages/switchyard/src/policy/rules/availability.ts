import type { Deployment, KubeObject } from '../../render/index.js';
import type { Rule, Violation } from '../types.js';
import {
  component,
  deployments,
  describe,
  effectiveReplicas,
  matches,
  ofKind,
  partOf,
  sameNamespace,
  scalesToZero,
  unitField,
} from '../objects.js';

const MIN_REPLICAS = 2;

export const replicasMin: Rule = {
  id: 'replicas-min',
  severity: 'error',
  title: `Every track, router and worker runs at least ${MIN_REPLICAS} replicas`,
  rationale:
    'With one replica, a node drain, a crash or a rollout takes the track down; Bitmovin runs every canary track at 2 or more.',
  remedy:
    'Set tracks.<track>.replicas, router.replicas or normal.replicas.min to 2 or more; for an autoscaled track, autoscaling.cpu.min.',
  check: ({ objects }) =>
    deployments(objects)
      .filter((d) => !scalesToZero(d))
      .flatMap((d) => {
        const replicas = effectiveReplicas(d, objects) ?? 1;
        if (replicas >= MIN_REPLICAS) return [];
        const field = [...partOf(d), 'replicas', ...(component(d) === 'worker' ? ['min'] : [])];
        return [
          {
            object: d,
            message: `${describe(d)} runs ${replicas} replica${replicas === 1 ? '' : 's'}`,
            fix: `Set ${field.join('.')} to at least ${MIN_REPLICAS}.`,
            // An autoscaled track takes its floor from the autoscaler.
            field: component(d) === 'track' ? unitField(field, ['autoscaling', 'cpu', 'min']) : unitField(field),
          },
        ];
      }),
};

function budgetsFor(d: Deployment, objects: readonly KubeObject[]): KubeObject[] {
  return ofKind(objects, 'PodDisruptionBudget').filter(
    (p) =>
      sameNamespace(p, d) &&
      matches(
        (p.spec as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels,
        d.spec.template.metadata.labels,
      ),
  );
}

export const pdbPresent: Rule = {
  id: 'pdb-present',
  severity: 'error',
  title: 'Every Deployment with replicas to protect has a PodDisruptionBudget',
  rationale: 'Without a budget a node upgrade may evict every replica of a track at once.',
  remedy:
    'Let Switchyard render the service: it adds a PodDisruptionBudget per track, router and worker class; an object rendered elsewhere needs a budget of its own.',
  check: ({ objects }) =>
    deployments(objects)
      .filter((d) => !scalesToZero(d) && (effectiveReplicas(d, objects) ?? 1) >= MIN_REPLICAS)
      .filter((d) => budgetsFor(d, objects).length === 0)
      .map((d) => ({
        object: d,
        message: `no PodDisruptionBudget selects the pods of ${describe(d)}`,
        fix: 'Render the service with Switchyard (it adds one per track) or add a PodDisruptionBudget.',
        field: unitField(partOf(d)),
      })),
};

export const pdbAllowsEviction: Rule = {
  id: 'pdb-allows-eviction',
  severity: 'warning',
  title: 'PodDisruptionBudgets allow at least one eviction',
  rationale: 'A budget that allows no eviction blocks node drains, cluster upgrades and spot reclaims forever.',
  remedy:
    'Use maxUnavailable: 1 (Switchyard renders it so), not maxUnavailable: 0 or a minAvailable as large as the replicas.',
  check: ({ objects }) =>
    ofKind(objects, 'PodDisruptionBudget').flatMap((p): Violation[] => {
      const spec = p.spec as { maxUnavailable?: number | string; minAvailable?: number | string };
      if (spec.maxUnavailable === 0 || spec.maxUnavailable === '0%') {
        return [
          {
            object: p,
            message: `${describe(p)} allows no eviction (maxUnavailable: 0)`,
            fix: 'Use maxUnavailable: 1.',
            field: unitField(partOf(p)),
          },
        ];
      }
      if (typeof spec.minAvailable === 'number' || spec.minAvailable === '100%') {
        const target = deployments(objects).find(
          (d) =>
            sameNamespace(d, p) &&
            matches(
              (p.spec as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels,
              d.spec.template.metadata.labels,
            ),
        );
        const replicas = target ? effectiveReplicas(target, objects) : undefined;
        if (
          spec.minAvailable === '100%' ||
          (replicas !== undefined && typeof spec.minAvailable === 'number' && spec.minAvailable >= replicas)
        ) {
          return [
            {
              object: p,
              message: `${describe(p)} requires every replica to stay available`,
              fix: 'Use maxUnavailable: 1 instead of minAvailable.',
              field: unitField(partOf(p)),
            },
          ];
        }
      }
      return [];
    }),
};

export const pdbSelectsPods: Rule = {
  id: 'pdb-selects-pods',
  severity: 'warning',
  title: 'Every PodDisruptionBudget selects some pods',
  rationale: 'A budget that selects nothing protects nothing and hides a renamed label.',
  remedy: "Fix the budget's selector so it matches the pods' labels, or remove it with the Deployment it protected.",
  check: ({ objects }) =>
    ofKind(objects, 'PodDisruptionBudget')
      .filter(
        (p) =>
          !deployments(objects).some(
            (d) =>
              sameNamespace(d, p) &&
              matches(
                (p.spec as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels,
                d.spec.template.metadata.labels,
              ),
          ),
      )
      .map((p) => ({
        object: p,
        message: `${describe(p)} selects no pods`,
        fix: 'Fix its selector, or remove it with the Deployment it protected.',
        field: unitField(partOf(p)),
      })),
};

export const serviceSelectsPods: Rule = {
  id: 'service-selects-pods',
  severity: 'error',
  title: 'Every Service selects the pods of a Deployment',
  rationale:
    "A Service whose selector matches no pods has no endpoints: the router would send its track's traffic nowhere.",
  remedy: 'Fix the Service selector so it matches the pod labels of a track (Switchyard renders it so).',
  check: ({ objects }) =>
    ofKind(objects, 'Service')
      .filter(
        (s) =>
          !deployments(objects).some(
            (d) =>
              sameNamespace(d, s) &&
              matches((s.spec as { selector?: Record<string, string> }).selector, d.spec.template.metadata.labels),
          ),
      )
      .map((s) => ({
        object: s,
        message: `${describe(s)} selects no pods of any Deployment`,
        fix: 'Fix the Service selector so it matches the pod labels of a track.',
        field: unitField(partOf(s)),
      })),
};

export const hpaMinReplicas: Rule = {
  id: 'hpa-min-replicas',
  severity: 'error',
  title: `Autoscalers keep at least ${MIN_REPLICAS} replicas`,
  rationale:
    'An autoscaler that may scale to one replica removes redundancy exactly when traffic is low and a node is drained.',
  remedy: 'Set autoscaling.cpu.min to 2 or more.',
  check: ({ objects }) =>
    ofKind(objects, 'HorizontalPodAutoscaler')
      .filter((h) => ((h.spec as { minReplicas?: number }).minReplicas ?? 1) < MIN_REPLICAS)
      .map((h) => ({
        object: h,
        message: `${describe(h)} may scale down to ${(h.spec as { minReplicas?: number }).minReplicas ?? 1} replica`,
        fix: `Set autoscaling.cpu.min to at least ${MIN_REPLICAS}.`,
        field: unitField(['autoscaling', 'cpu', 'min']),
      })),
};

export const hpaTargetExists: Rule = {
  id: 'hpa-target-exists',
  severity: 'error',
  title: 'Autoscalers target an existing Deployment',
  rationale: 'An autoscaler pointing at nothing silently never scales.',
  remedy: "Point the autoscaler's scaleTargetRef at a rendered track Deployment (Switchyard renders it so).",
  check: ({ objects }) =>
    ofKind(objects, 'HorizontalPodAutoscaler')
      .filter((h) => {
        const ref = (h.spec as { scaleTargetRef?: { kind?: string; name?: string } }).scaleTargetRef;
        return !deployments(objects).some(
          (d) => sameNamespace(d, h) && ref?.kind === 'Deployment' && ref.name === d.metadata.name,
        );
      })
      .map((h) => ({
        object: h,
        message: `${describe(h)} targets a Deployment that is not rendered`,
        fix: 'Point scaleTargetRef at a track Deployment.',
        field: unitField(partOf(h)),
      })),
};

export const rollingUpdateSafe: Rule = {
  id: 'rolling-update-safe',
  severity: 'warning',
  title: 'Rollouts never take a serving replica down before its replacement is ready',
  rationale: 'maxUnavailable above 0 drops capacity during every deploy; at the evening peak that is dropped requests.',
  remedy: 'Use strategy.rollingUpdate.maxUnavailable: 0 (Switchyard renders it so).',
  check: ({ objects }) =>
    deployments(objects)
      .filter(
        (d) =>
          !scalesToZero(d) &&
          d.spec.strategy?.rollingUpdate?.maxUnavailable !== 0 &&
          d.spec.strategy?.rollingUpdate?.maxUnavailable !== '0%',
      )
      .map((d) => ({
        object: d,
        message: `${describe(d)} may remove ready replicas during a rollout`,
        fix: 'Use strategy.rollingUpdate.maxUnavailable: 0 (Switchyard renders it so).',
        field: unitField(partOf(d)),
      })),
};

export const spreadReplicas: Rule = {
  id: 'spread-replicas',
  severity: 'warning',
  title: 'Replicas are spread across nodes',
  rationale: 'Replicas packed on one node all go down with it.',
  remedy: 'Spread the replicas with topologySpreadConstraints on kubernetes.io/hostname (Switchyard renders them).',
  check: ({ objects }) =>
    deployments(objects)
      .filter((d) => (effectiveReplicas(d, objects) ?? 1) >= MIN_REPLICAS)
      .filter((d) => {
        const pod = d.spec.template.spec as {
          topologySpreadConstraints?: unknown[];
          affinity?: { podAntiAffinity?: unknown };
        };
        return (pod.topologySpreadConstraints?.length ?? 0) === 0 && pod.affinity?.podAntiAffinity === undefined;
      })
      .map((d) => ({
        object: d,
        message: `${describe(d)} does not spread its replicas over nodes`,
        fix: 'Add topologySpreadConstraints on kubernetes.io/hostname (Switchyard renders them).',
        field: unitField(partOf(d)),
      })),
};
