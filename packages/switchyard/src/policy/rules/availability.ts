import type { Deployment, KubeObject } from '../../render/index.js';
import type { Rule, Violation } from '../types.js';
import {
  component,
  deployments,
  describe,
  effectiveReplicas,
  isRouter,
  matches,
  ofKind,
  sameNamespace,
  scalesToZero,
} from '../objects.js';

const MIN_REPLICAS = 2;

export const replicasMin: Rule = {
  id: 'replicas-min',
  severity: 'error',
  title: `Every track, router and worker runs at least ${MIN_REPLICAS} replicas`,
  rationale:
    'With one replica, a node drain, a crash or a rollout takes the track down; Bitmovin runs every canary track at 2 or more.',
  check: ({ objects }) =>
    deployments(objects)
      .filter((d) => !scalesToZero(d))
      .flatMap((d) => {
        const replicas = effectiveReplicas(d, objects) ?? 1;
        if (replicas >= MIN_REPLICAS) return [];
        const what = isRouter(d)
          ? 'router.replicas'
          : component(d) === 'worker'
            ? 'normal.replicas.min'
            : `tracks.${d.metadata.labels?.['switchyard.dev/track'] ?? '<track>'}.replicas`;
        return [
          {
            object: d,
            message: `${describe(d)} runs ${replicas} replica${replicas === 1 ? '' : 's'}`,
            fix: `Set ${what} to at least ${MIN_REPLICAS}.`,
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
  check: ({ objects }) =>
    deployments(objects)
      .filter((d) => !scalesToZero(d) && (effectiveReplicas(d, objects) ?? 1) >= MIN_REPLICAS)
      .filter((d) => budgetsFor(d, objects).length === 0)
      .map((d) => ({
        object: d,
        message: `no PodDisruptionBudget selects the pods of ${describe(d)}`,
        fix: 'Render the service with Switchyard (it adds one per track) or add a PodDisruptionBudget.',
      })),
};

export const pdbAllowsEviction: Rule = {
  id: 'pdb-allows-eviction',
  severity: 'warning',
  title: 'PodDisruptionBudgets allow at least one eviction',
  rationale: 'A budget that allows no eviction blocks node drains, cluster upgrades and spot reclaims forever.',
  check: ({ objects }) =>
    ofKind(objects, 'PodDisruptionBudget').flatMap((p): Violation[] => {
      const spec = p.spec as { maxUnavailable?: number | string; minAvailable?: number | string };
      if (spec.maxUnavailable === 0 || spec.maxUnavailable === '0%') {
        return [
          {
            object: p,
            message: `${describe(p)} allows no eviction (maxUnavailable: 0)`,
            fix: 'Use maxUnavailable: 1.',
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
      })),
};

export const serviceSelectsPods: Rule = {
  id: 'service-selects-pods',
  severity: 'error',
  title: 'Every Service selects the pods of a Deployment',
  rationale:
    "A Service whose selector matches no pods has no endpoints: the router would send its track's traffic nowhere.",
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
      })),
};

export const hpaMinReplicas: Rule = {
  id: 'hpa-min-replicas',
  severity: 'error',
  title: `Autoscalers keep at least ${MIN_REPLICAS} replicas`,
  rationale:
    'An autoscaler that may scale to one replica removes redundancy exactly when traffic is low and a node is drained.',
  check: ({ objects }) =>
    ofKind(objects, 'HorizontalPodAutoscaler')
      .filter((h) => ((h.spec as { minReplicas?: number }).minReplicas ?? 1) < MIN_REPLICAS)
      .map((h) => ({
        object: h,
        message: `${describe(h)} may scale down to ${(h.spec as { minReplicas?: number }).minReplicas ?? 1} replica`,
        fix: `Set autoscaling.cpu.min to at least ${MIN_REPLICAS}.`,
      })),
};

export const hpaTargetExists: Rule = {
  id: 'hpa-target-exists',
  severity: 'error',
  title: 'Autoscalers target an existing Deployment',
  rationale: 'An autoscaler pointing at nothing silently never scales.',
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
      })),
};

export const rollingUpdateSafe: Rule = {
  id: 'rolling-update-safe',
  severity: 'warning',
  title: 'Rollouts never take a serving replica down before its replacement is ready',
  rationale: 'maxUnavailable above 0 drops capacity during every deploy; at the evening peak that is dropped requests.',
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
      })),
};

export const spreadReplicas: Rule = {
  id: 'spread-replicas',
  severity: 'warning',
  title: 'Replicas are spread across nodes',
  rationale: 'Replicas packed on one node all go down with it.',
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
      })),
};
