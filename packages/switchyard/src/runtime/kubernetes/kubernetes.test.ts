import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../render/index.js';
import { DEFAULT_ALERTS, type Environment } from '../../spec/index.js';
import { baseTexts, objectsOf, setIn, WORKER } from '../../../test/support/config.js';
import { parseQuantity } from '@switchyard/worker/units';
import { APPLIED_HASH, covers, renderedHash, upToDate, withHash } from './compare.js';
import { inventorySelector, plan, servedKinds } from './apply.js';
import type { KubeClient } from './client.js';
import { SwitchyardError } from '../../errors/index.js';
import { judgeCluster, type ClusterIdentity } from './identity.js';
import { deploymentProgress, diagnose, podProblems, type LiveDeployment, type LivePod } from './rollout.js';

const deployment = (
  over: Partial<LiveDeployment['status']> = {},
  spec: LiveDeployment['spec'] = { replicas: 2 },
  generation = 1,
): LiveDeployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'api-free', generation },
  spec: { selector: { matchLabels: { app: 'api' } }, ...spec },
  status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, ...over },
});

const pod = (status: LivePod['status'], name = 'api-free-abc'): LivePod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'api' } },
  ...(status ? { status } : {}),
});

describe('compare', () => {
  it('reads Kubernetes quantities', () => {
    expect(parseQuantity('250m')).toBeCloseTo(0.25);
    expect(parseQuantity('1Gi')).toBe(2 ** 30);
    expect(parseQuantity('1.5')).toBe(1.5);
    expect(parseQuantity('http')).toBeUndefined();
  });

  it('covers: live defaults and canonical quantities are fine, a changed or missing field is not', () => {
    const desired = { spec: { cpu: '1000m', ports: [{ port: 80 }], delay: 0, flag: false } };
    expect(covers({ spec: { cpu: '1', ports: [{ port: 80, protocol: 'TCP' }], extra: true } }, desired)).toBe(true);
    expect(covers({ spec: { cpu: '2', ports: [{ port: 80 }] } }, desired)).toBe(false);
    expect(covers({ spec: { cpu: '1', ports: [{ port: 80 }, { port: 81 }] } }, desired)).toBe(false);
    expect(covers({ spec: { cpu: '1', ports: [{ port: 8080 }] } }, desired)).toBe(false);
    expect(covers({ spec: { ports: [{ port: 80 }] } }, desired)).toBe(false);
  });

  it('hashes the rendering, not key order', () => {
    const a: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', labels: { a: '1', b: '2' } } };
    const b: KubeObject = { kind: 'ConfigMap', apiVersion: 'v1', metadata: { labels: { b: '2', a: '1' }, name: 'x' } };
    expect(renderedHash(a)).toBe(renderedHash(b));
    expect(renderedHash(a)).not.toBe(renderedHash({ ...a, data: { k: 'v' } }));
  });

  it('upToDate needs both the same hash and every field live', () => {
    const desired = withHash({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { k: 'v' } }, 'h1');
    expect(upToDate(desired, desired)).toBe(true);
    expect(upToDate(undefined, desired)).toBe(false);
    expect(upToDate({ ...desired, data: { k: 'edited' } }, desired)).toBe(false);
    expect(upToDate({ ...desired, metadata: { name: 'x', annotations: { [APPLIED_HASH]: 'old' } } }, desired)).toBe(
      false,
    );
  });
});

describe('plan', () => {
  const objects = objectsOf(baseTexts());
  const applied = (o: KubeObject) => withHash(o, renderedHash(o));

  it('applies everything into an empty namespace, nothing when all is live, and prunes what is no longer rendered', () => {
    expect(plan(objects, []).apply).toHaveLength(objects.length);
    const live = objects.map(applied);
    const again = plan(objects, live);
    expect(again.apply).toEqual([]);
    expect(again.unchanged).toHaveLength(objects.length);
    const stale: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'gone-stable', labels: { 'switchyard.dev/service': 'gone' } },
    };
    expect(plan(objects, [...live, stale]).prune).toEqual([stale]);
  });

  it('re-applies a changed version and drift, and only that', () => {
    const live = objects.map(applied);
    const bumped = objectsOf({
      ...baseTexts(),
      'services/api.yaml': setIn(baseTexts()['services/api.yaml'] as string, 'version', '1.1.0'),
    });
    const changed = plan(bumped, live).apply.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.every((k) => k.startsWith('Deployment/api-'))).toBe(true);
    const drifted = live.map((o) => (o.kind === 'ConfigMap' ? { ...o, data: { 'haproxy.cfg': 'edited by hand' } } : o));
    expect(plan(objects, drifted).apply.map((o) => o.kind)).toEqual(['ConfigMap']);
  });

  it('keeps the live replica count of a Deployment an autoscaler drives', () => {
    const live = objects
      .map(applied)
      .map((o) =>
        o.kind === 'Deployment' && o.metadata.name === 'encoder'
          ? { ...o, spec: { ...(o.spec as object), replicas: 7 } }
          : o,
      );
    const result = plan(objects, live);
    expect(result.apply.map((o) => o.metadata.name)).not.toContain('encoder');
    const sent = plan(
      objects.map((o) =>
        o.metadata.name === 'encoder' && o.kind === 'Deployment'
          ? { ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, touched: 'yes' } } }
          : o,
      ),
      live,
    ).apply.find((o) => o.metadata.name === 'encoder');
    expect((sent?.spec as { replicas: number }).replicas).toBe(7);
  });

  it('selects the inventory by ownership, environment and services', () => {
    expect(inventorySelector('production')).toBe(
      'app.kubernetes.io/managed-by=switchyard,switchyard.dev/env=production',
    );
    expect(inventorySelector('staging', ['b', 'a'])).toBe(
      'app.kubernetes.io/managed-by=switchyard,switchyard.dev/env=staging,switchyard.dev/service in (a,b)',
    );
  });
});

describe('cluster identity', () => {
  const env = (over: Partial<Environment> = {}): Environment => ({
    name: 'production',
    file: 'environments/production.yaml',
    runtime: 'kubernetes',
    cluster: { context: 'prod', namespace: 'video' },
    namespace: 'video',
    protected: true,
    local: { host: '127.0.0.1', routerPort: 1, statsPort: 2, apiPort: 3, ports: {} },
    ingressClass: 'haproxy',
    freezes: [],
    alerts: DEFAULT_ALERTS,
    ...over,
  });
  const staging: ClusterIdentity = {
    uid: 'uid-staging',
    name: 'staging',
    context: 'prod',
    server: 'https://127.0.0.1:1',
  };

  it('refuses a pinned identity that does not match, naming both', () => {
    const verdict = judgeCluster(
      env({ cluster: { context: 'prod', namespace: 'video', identity: 'uid-production' } }),
      staging,
      {},
    );
    expect(verdict.ok).toBe(false);
    expect(verdict.error?.code).toBe('SWY_KUBE_WRONG_CLUSTER');
    expect(verdict.error?.message).toContain('uid-production');
    expect(verdict.error?.message).toContain('uid-staging');
  });

  it('accepts a matching pin without a warning', () => {
    expect(
      judgeCluster(env({ cluster: { context: 'prod', namespace: 'video', identity: 'uid-staging' } }), staging, {}),
    ).toEqual({ ok: true });
  });

  it('without a pin: a protected environment may not land in a cluster other environments use, nor anyone in a protected one', () => {
    expect(
      judgeCluster(env(), staging, { staging: { namespace: 'video-staging', protected: false } }).error?.code,
    ).toBe('SWY_KUBE_WRONG_CLUSTER');
    expect(
      judgeCluster(env({ name: 'staging', protected: false }), staging, {
        production: { namespace: 'video', protected: true },
      }).error?.code,
    ).toBe('SWY_KUBE_WRONG_CLUSTER');
    const first = judgeCluster(env(), staging, {});
    expect(first.ok).toBe(true);
    expect(first.warning).toContain('cluster.identity: uid-staging');
    expect(judgeCluster(env(), staging, { production: { namespace: 'video', protected: true } }).ok).toBe(true);
  });
});

describe('rollout', () => {
  it('judges a Deployment as kubectl rollout status does', () => {
    expect(deploymentProgress(deployment()).done).toBe(true);
    expect(deploymentProgress(deployment({}, { replicas: 2 }, 2)).waitingFor).toContain('new spec');
    expect(deploymentProgress(deployment({ updatedReplicas: 1 })).waitingFor).toBe('1/2 replicas updated');
    expect(deploymentProgress(deployment({ replicas: 3 })).waitingFor).toBe('1 old replicas to terminate');
    expect(deploymentProgress(deployment({ availableReplicas: 1 })).done).toBe(false);
    const stuck = deploymentProgress(
      deployment({
        conditions: [
          {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: 'ReplicaSet "x" has timed out progressing.',
          },
        ],
      }),
    );
    expect(stuck.failure).toContain('progress deadline');
  });

  it('names unschedulable pods once they stayed so past the grace period', () => {
    const at = Date.parse('2026-01-01T00:00:00Z');
    const p = pod({
      phase: 'Pending',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: '0/9 nodes are available: 9 Insufficient cpu.',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    });
    expect(podProblems(p, at + 1000, { unschedulableAfterMs: 30_000 })[0]?.fatal).toBe(false);
    const late = podProblems(p, at + 31_000, { unschedulableAfterMs: 30_000 });
    expect(late[0]?.fatal).toBe(true);
    expect(late[0]?.message).toContain('0/9 nodes are available: 9 Insufficient cpu.');
  });

  it('fails at once on image pull errors and crash loops; a pod that is not ready only explains', () => {
    const pull = podProblems(
      pod({
        phase: 'Pending',
        containerStatuses: [
          {
            name: 'api',
            image: 'r/api:9',
            state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } },
          },
        ],
      }),
      0,
      { unschedulableAfterMs: 0 },
    );
    expect(pull[0]).toMatchObject({ fatal: true });
    expect(pull[0]?.message).toContain('r/api:9');
    const crash = podProblems(
      pod({
        phase: 'Running',
        containerStatuses: [
          {
            name: 'api',
            restartCount: 5,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 1, reason: 'Error' } },
          },
        ],
      }),
      0,
      { unschedulableAfterMs: 0 },
    );
    expect(crash[0]?.message).toContain('keeps crashing (5 restarts, last exit code 1 Error)');
    const notReady = podProblems(pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] }), 0, {
      unschedulableAfterMs: 0,
    });
    expect(notReady).toEqual([expect.objectContaining({ fatal: false })]);
    expect(
      diagnose([deployment()], [pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] })], 0, {
        unschedulableAfterMs: 0,
      }).get('api-free'),
    ).toHaveLength(1);
  });
});

describe('kinds the cluster serves', () => {
  /** Answers discovery only: keda.sh is not served (no KEDA installed). */
  const withoutKeda = {
    context: 'ctx',
    request: async (_method: string, path: string) => {
      if (path.startsWith('/apis/keda.sh/'))
        throw new SwitchyardError('SWY_KUBE_API_ERROR', { details: { httpStatus: 404 } });
      throw new Error(`unexpected request ${path}`);
    },
  } as unknown as KubeClient;

  it('refuses a ScaledObject when KEDA is not installed, naming the worker and the fix', async () => {
    const objects = objectsOf({ ...baseTexts(), 'services/encoder.yaml': setIn(WORKER, 'scaling', { keda: true }) });
    const err = await servedKinds(withoutKeda, objects).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SwitchyardError);
    expect((err as SwitchyardError).code).toBe('SWY_KUBE_CRD_MISSING');
    expect((err as SwitchyardError).message).toContain('encoder renders ScaledObject (keda.sh/v1alpha1)');
    expect((err as SwitchyardError).hint).toContain('scaling.keda: false');
  });

  it('leaves ScaledObjects out of the inventory when none is rendered and KEDA is missing', async () => {
    const kinds = await servedKinds(withoutKeda, objectsOf(baseTexts()));
    expect(kinds.map((k) => k.kind)).toEqual([
      'ConfigMap',
      'Service',
      'Deployment',
      'PodDisruptionBudget',
      'HorizontalPodAutoscaler',
      'Ingress',
    ]);
  });
});
