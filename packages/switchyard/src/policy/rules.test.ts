import { describe, expect, it } from 'vitest';
import type { Deployment, KubeObject } from '../render/index.js';
import { locateFields, parseConfig } from '../spec/index.js';
import { baseTexts, objectsOf, setIn, type Texts } from '../../test/support/config.js';
import { RULES, runPolicy, worstSeverity, type Finding } from './index.js';

/** Each rule: silent on what Switchyard renders, loud on one object broken the way it guards against. */

const clean = (): KubeObject[] => structuredClone(objectsOf(baseTexts()));
const deployment = (objects: KubeObject[], name: string) =>
  objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name) as Deployment;
const byName = (objects: KubeObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name) as KubeObject;
const run = (objects: KubeObject[], runtime: 'local' | 'kubernetes' = 'kubernetes', texts: Texts = baseTexts()) =>
  runPolicy('production', runtime, objects, RULES, locateFields(parseConfig('config', texts), 'production'));
const placed = (f: Finding | undefined) =>
  f?.location && `${f.location.file}:${f.location.line}:${f.location.column} ${f.location.path}`;

const BREAK: Record<string, (o: KubeObject[]) => string> = {
  'resources-set': (o) => {
    delete deployment(o, 'api-free').spec.template.spec.containers[0]!.resources!.limits;
    return 'api-free';
  },
  'limits-not-below-requests': (o) => {
    deployment(o, 'api-paid').spec.template.spec.containers[0]!.resources!.limits!.memory = '64Mi';
    return 'api-paid';
  },
  'replicas-min': (o) => {
    deployment(o, 'api-internal').spec.replicas = 1;
    return 'api-internal';
  },
  'probes-present': (o) => {
    delete deployment(o, 'api-free').spec.template.spec.containers[0]!.livenessProbe;
    return 'api-free';
  },
  'probes-differ': (o) => {
    const c = deployment(o, 'api-free').spec.template.spec.containers[0]!;
    c.livenessProbe = structuredClone(c.readinessProbe as NonNullable<typeof c.readinessProbe>);
    return 'api-free';
  },
  'pdb-present': (o) => {
    o.splice(o.indexOf(byName(o, 'PodDisruptionBudget', 'api-paid')), 1);
    return 'api-paid';
  },
  'pdb-allows-eviction': (o) => {
    (byName(o, 'PodDisruptionBudget', 'api-paid').spec as Record<string, unknown>).maxUnavailable = 0;
    return 'api-paid';
  },
  'pdb-selects-pods': (o) => {
    (
      byName(o, 'PodDisruptionBudget', 'api-paid').spec as { selector: { matchLabels: Record<string, string> } }
    ).selector.matchLabels['switchyard.dev/track'] = 'gone';
    return 'api-paid';
  },
  'cost-labels': (o) => {
    delete byName(o, 'Service', 'api-free').metadata.labels!['switchyard.dev/cost-center'];
    return 'api-free';
  },
  'image-tag-immutable': (o) => {
    deployment(o, 'api-free').spec.template.spec.containers[0]!.image = 'registry.example.com/video/api:latest';
    return 'api-free';
  },
  'router-not-on-spot': (o) => {
    const pod = deployment(o, 'api-router').spec.template.spec;
    pod.tolerations = [{ key: 'switchyard.dev/capacity-type', operator: 'Equal', value: 'spot', effect: 'NoSchedule' }];
    delete pod.affinity;
    return 'api-router';
  },
  'hpa-min-replicas': (o) => {
    o.push({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'api-free', namespace: 'video', labels: deployment(o, 'api-free').metadata.labels! },
      spec: {
        minReplicas: 1,
        maxReplicas: 4,
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api-free' },
      },
    });
    return 'api-free';
  },
  'hpa-target-exists': (o) => {
    o.push({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'api-ghost', namespace: 'video', labels: deployment(o, 'api-free').metadata.labels! },
      spec: {
        minReplicas: 2,
        maxReplicas: 4,
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api-ghost' },
      },
    });
    return 'api-ghost';
  },
  'service-selects-pods': (o) => {
    (byName(o, 'Service', 'api-free').spec as { selector: Record<string, string> }).selector['switchyard.dev/track'] =
      'fre';
    return 'api-free';
  },
  'rolling-update-safe': (o) => {
    deployment(o, 'api-free').spec.strategy.rollingUpdate.maxUnavailable = '25%';
    return 'api-free';
  },
  'spread-replicas': (o) => {
    delete deployment(o, 'api-free').spec.template.spec.topologySpreadConstraints;
    return 'api-free';
  },
  'worker-grace-covers-timeout': (o) => {
    deployment(o, 'encoder').spec.template.spec.terminationGracePeriodSeconds = 10;
    return 'encoder';
  },
  'node-pool-class': (o) => {
    delete deployment(o, 'api-free').spec.template.spec.affinity;
    return 'api-free';
  },
  'security-context': (o) => {
    deployment(o, 'api-free').spec.template.spec.containers[0]!.securityContext = { privileged: true };
    return 'api-free';
  },
  'no-host-network': (o) => {
    deployment(o, 'api-free').spec.template.spec.hostNetwork = true;
    return 'api-free';
  },
  'namespace-set': (o) => {
    byName(o, 'ConfigMap', 'api-router').metadata.namespace = 'default';
    return 'api-router';
  },
};

/**
 * Where each breaking case is reported in the files of baseTexts(): the field to change where it
 * is written, else the nearest written ancestor (the top of the file when none is), with its path.
 */
const PLACE: Record<string, string> = {
  'resources-set': 'services/api.yaml:10:1 resources',
  'limits-not-below-requests': 'services/api.yaml:10:1 resources.limits.memory',
  'replicas-min': 'services/api.yaml:1:1 tracks.internal.replicas',
  'probes-present': 'services/api.yaml:15:3 probes.liveness',
  'probes-differ': 'services/api.yaml:15:3 probes.liveness',
  'pdb-present': 'services/api.yaml:1:1 tracks.paid',
  'pdb-allows-eviction': 'services/api.yaml:1:1 tracks.paid',
  'pdb-selects-pods': 'services/api.yaml:1:1 tracks.paid',
  'cost-labels': 'services/api.yaml:6:1 costCenter',
  'image-tag-immutable': 'services/api.yaml:9:1 version',
  'router-not-on-spot': 'services/api.yaml:1:1 router.nodePool.capacity',
  'hpa-min-replicas': 'services/api.yaml:1:1 autoscaling.cpu.min',
  'hpa-target-exists': 'services/api.yaml:1:1 tracks.free',
  'service-selects-pods': 'services/api.yaml:1:1 tracks.free',
  'rolling-update-safe': 'services/api.yaml:1:1 tracks.free',
  'spread-replicas': 'services/api.yaml:1:1 tracks.free',
  'worker-grace-covers-timeout': 'services/encoder.yaml:11:37 normal.timeout',
  'node-pool-class': 'services/api.yaml:16:13 nodePool.class',
  'security-context': 'services/api.yaml:1:1 tracks.free',
  'no-host-network': 'services/api.yaml:1:1 tracks.free',
  'namespace-set': 'environments/production.yaml:5:27 cluster.namespace',
};

describe('policy rules', () => {
  it('finds nothing on what Switchyard renders', () => {
    expect(run(clean()).findings).toEqual([]);
  });

  it('has a breaking case and its place for every rule, and ids are unique', () => {
    expect(Object.keys(BREAK).sort()).toEqual(RULES.map((r) => r.id).sort());
    expect(Object.keys(PLACE).sort()).toEqual(RULES.map((r) => r.id).sort());
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
  });

  for (const rule of RULES) {
    it(`${rule.id} catches its violation and nothing else`, () => {
      const objects = clean();
      const name = BREAK[rule.id]!(objects);
      const findings = run(objects).findings;
      const own = findings.filter((f) => f.rule === rule.id);
      expect(own.map((f) => f.name)).toEqual([name]);
      expect(own[0]?.severity).toBe(rule.severity);
      expect(own[0]?.message.length).toBeGreaterThan(10);
      expect(own[0]?.fix).toMatch(/\.$/);
      expect(placed(own[0])).toBe(PLACE[rule.id]);
    });
  }

  it('exempts an object with a reason and does not count it', () => {
    const texts = baseTexts();
    texts['services/api.yaml'] = setIn(texts['services/api.yaml'] as string, 'policy', {
      exempt: { 'replicas-min': 'a batch endpoint nobody waits on' },
    });
    texts['services/api.yaml'] = setIn(texts['services/api.yaml'] as string, 'minReplicasPerTrack', 1);
    texts['services/api.yaml'] = setIn(texts['services/api.yaml'] as string, 'tracks', {
      internal: { replicas: 1 },
      free: {},
      paid: {},
      production: {},
    });
    const report = run(objectsOf(texts));
    const finding = report.findings.find((f) => f.rule === 'replicas-min');
    expect(finding?.exemption).toBe('a batch endpoint nobody waits on');
    expect(worstSeverity(report.findings)).toBeUndefined();
  });

  it('places a finding in the environment file when its defaults or overlay set the field', () => {
    const texts = baseTexts();
    texts['services/api.yaml'] = setIn(texts['services/api.yaml'] as string, 'minReplicasPerTrack', 1);
    let production = setIn(texts['environments/production.yaml'] as string, 'serviceDefaults.router.replicas', 1);
    production = setIn(production, 'services.api.tracks.internal.replicas', 1);
    texts['environments/production.yaml'] = production;
    const findings = run(objectsOf(texts), 'kubernetes', texts).findings.filter((f) => f.rule === 'replicas-min');
    expect(findings.map((f) => `${f.name} ${placed(f)}`)).toEqual([
      'api-internal environments/production.yaml:13:9 services.api.tracks.internal.replicas',
      'api-router environments/production.yaml:8:5 serviceDefaults.router.replicas',
    ]);
  });

  it('skips cluster-only rules on the local runtime', () => {
    const objects = clean();
    BREAK['namespace-set']!(objects);
    expect(run(objects, 'local').findings).toEqual([]);
  });

  it('asks no namespace of cluster-scoped objects', () => {
    const objects = clean();
    const labels = deployment(objects, 'api-free').metadata.labels!;
    objects.push(
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'switchyard', labels } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'video', labels } },
    );
    expect(run(objects).findings).toEqual([]);
  });

  it('reports the worst severity that counts', () => {
    const objects = clean();
    BREAK['probes-differ']!(objects);
    expect(worstSeverity(run(objects).findings)).toBe('warning');
    BREAK['image-tag-immutable']!(objects);
    expect(worstSeverity(run(objects).findings)).toBe('error');
  });
});
