import { describe, expect, it } from 'vitest';
import { LABEL } from '../../render/index.js';
import { baseTexts, serviceOf, workerOf } from '../../../test/support/config.js';
import type { LiveDeployment, LivePod } from './rollout.js';
import { leftoverControllers, leftoverDeployments, liveTracks, serviceStatus, workerStatus } from './status.js';

const deployment = (name: string, replicas: number, readyReplicas: number, version?: string): LiveDeployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, labels: version ? { [LABEL.version]: version } : {} },
  spec: { replicas },
  status: { readyReplicas },
});

const pod = (name: string, labels: Record<string, string>, state: 'ready' | 'starting' | 'stopping'): LivePod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels, ...(state === 'stopping' ? { deletionTimestamp: '2026-11-23T10:00:00Z' } : {}) },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: state === 'starting' ? 'False' : 'True' }] },
});

describe('status from the cluster', () => {
  const api = serviceOf(baseTexts());
  const encoder = workerOf(baseTexts());
  const track = (t: string, version: string) => ({
    [LABEL.service]: 'api',
    [LABEL.track]: t,
    [LABEL.component]: 'track',
    [LABEL.version]: version,
  });
  const live = {
    deployments: [
      deployment('api-production', 3, 2, '1.0.0'),
      deployment('api-free', 1, 0, '1.1.0'),
      deployment('encoder', 2, 2),
      deployment('encoder-fallback', 0, 0),
    ],
    pods: [
      pod('api-production-b', track('production', '1.0.0'), 'ready'),
      pod('api-production-a', track('production', '1.0.0'), 'ready'),
      pod('api-production-c', track('production', '1.0.0'), 'starting'),
      pod('api-free-a', track('free', '1.1.0'), 'stopping'),
      pod(
        'encoder-a',
        { [LABEL.service]: 'encoder', [LABEL.workerClass]: 'normal', [LABEL.component]: 'worker' },
        'ready',
      ),
    ],
  };

  it('gives each track its desired and ready replicas, and its pods in the words of the local runtime', () => {
    const status = serviceStatus(api, { shares: { free: 5 }, legacyShare: 0 }, live);
    expect(status.address).toBe(`http://api.${api.namespace}.svc.cluster.local`);
    expect(status.routerPid).toBeUndefined();
    const production = status.tracks.find((t) => t.track === 'production');
    expect(production).toMatchObject({ desired: 3, ready: 2 });
    expect(production?.replicas.map((r) => [r.name, r.state])).toEqual([
      ['api-production-a', 'ready'],
      ['api-production-b', 'ready'],
      ['api-production-c', 'starting'],
    ]);
    expect(status.tracks.find((t) => t.track === 'free')?.replicas).toEqual([
      { name: 'api-free-a', version: '1.1.0', port: api.port, state: 'stopping' },
    ]);
    // A track not deployed yet: what the spec wants, nothing ready.
    expect(status.tracks.find((t) => t.track === 'internal')).toMatchObject({
      desired: api.tracks.find((t) => t.name === 'internal')?.replicas,
      ready: 0,
      replicas: [],
    });
  });

  it("gives the router the desired and ready replicas of its Deployment, or the spec's count before it exists", () => {
    const routing = { shares: {}, legacyShare: 0 };
    expect(serviceStatus(api, routing, live).router).toEqual({ desired: api.router.replicas, ready: 0 });
    const withRouter = { ...live, deployments: [...live.deployments, deployment('api-router', 4, 3)] };
    expect(serviceStatus(api, routing, withRouter).router).toEqual({ desired: 4, ready: 3 });
  });

  it('gives each worker class the replicas its autoscaler set', () => {
    expect(
      workerStatus(encoder, live).map((w) => [w.workerClass, w.queue, w.desired, w.ready, w.replicas.length]),
    ).toEqual([
      ['normal', encoder.normal.queue, 2, 2, 1],
      ['fallback', encoder.fallback?.queue, 0, 0, 0],
    ]);
  });

  it('reads the versions and replicas the Deployments carry, the spec for the rest', () => {
    const tracks = liveTracks(api, live.deployments);
    expect(tracks.production).toEqual({ version: '1.0.0', replicas: 3 });
    expect(tracks.free).toEqual({ version: '1.1.0', replicas: 1 });
    expect(tracks.internal).toEqual({
      version: api.version,
      replicas: api.tracks.find((t) => t.name === 'internal')?.replicas,
    });
  });

  describe('leftovers', () => {
    const labelled = (name: string, labels: Record<string, string>): LiveDeployment => ({
      ...deployment(name, 2, 2),
      metadata: { name, namespace: 'media', labels },
    });

    it('names track Deployments of the service that none of its tracks explains, with the command that removes each', () => {
      const deployments = [
        labelled('api-production', track('production', '1.0.0')),
        labelled('api-production-blue', track('production', '0.9.0')),
        labelled('api-beta', track('beta', '1.0.0')),
        labelled('api-router', { [LABEL.service]: 'api', [LABEL.component]: 'router' }),
        labelled('search-old', { ...track('production', '0.1.0'), [LABEL.service]: 'search' }),
      ];
      expect(leftoverDeployments(api, deployments)).toEqual([
        {
          kind: 'Deployment',
          name: 'api-beta',
          track: 'beta',
          version: '1.0.0',
          remove: 'kubectl -n media delete deployment api-beta',
        },
        {
          kind: 'Deployment',
          name: 'api-production-blue',
          track: 'production',
          version: '0.9.0',
          remove: 'kubectl -n media delete deployment api-production-blue',
        },
      ]);
      const status = serviceStatus(api, { shares: {}, legacyShare: 0 }, { deployments, pods: [] }, 'prod-eu');
      expect(status.leftovers?.map((l) => l.remove)).toEqual([
        'kubectl --context prod-eu -n media delete deployment api-beta',
        'kubectl --context prod-eu -n media delete deployment api-production-blue',
      ]);
    });

    it('finds none when every track Deployment is desired', () => {
      expect(leftoverDeployments(api, [labelled('api-free', track('free', '1.1.0'))])).toEqual([]);
    });

    describe('ReplicaSets and pods no Deployment owns', () => {
      const owned = (
        name: string,
        owner: string | undefined,
        hash: string,
        labels: Record<string, string>,
      ): LivePod => {
        const p = pod(name, { ...labels, 'pod-template-hash': hash }, 'ready');
        return {
          ...p,
          metadata: {
            ...p.metadata,
            namespace: 'media',
            ...(owner ? { ownerReferences: [{ kind: 'ReplicaSet', name: owner, controller: true }] } : {}),
          },
        };
      };
      const deployments = [labelled('api-production', track('production', '1.0.0'))];

      it('names a ReplicaSet whose Deployment is gone once, however many pods it runs, and a pod with no controller', () => {
        const pods = [
          owned('api-production-7d9f-a', 'api-production-7d9f', '7d9f', track('production', '1.0.0')),
          owned('api-production-blue-5c4b-a', 'api-production-blue-5c4b', '5c4b', track('production', '0.9.0')),
          owned('api-production-blue-5c4b-b', 'api-production-blue-5c4b', '5c4b', track('production', '0.9.0')),
          owned('api-debug', undefined, '', track('free', '1.1.0')),
        ];
        expect(leftoverControllers(api, { deployments, pods }, 'prod-eu')).toEqual([
          {
            kind: 'Pod',
            name: 'api-debug',
            track: 'free',
            version: '1.1.0',
            remove: 'kubectl --context prod-eu -n media delete pod api-debug',
          },
          {
            kind: 'ReplicaSet',
            name: 'api-production-blue-5c4b',
            track: 'production',
            version: '0.9.0',
            remove: 'kubectl --context prod-eu -n media delete replicaset api-production-blue-5c4b',
          },
        ]);
        expect(
          serviceStatus(api, { shares: {}, legacyShare: 0 }, { deployments, pods }).leftovers?.map((l) => l.kind),
        ).toEqual(['Pod', 'ReplicaSet']);
      });

      it('passes over pods being deleted, routers, and pods of another kind of controller', () => {
        const stopping = {
          ...pod('api-old-x', track('production', '0.8.0'), 'stopping'),
          metadata: {
            name: 'api-old-x',
            labels: track('production', '0.8.0'),
            deletionTimestamp: '2026-11-23T10:00:00Z',
          },
        };
        const router = owned('api-router-1-a', 'api-router-1', '1', {
          [LABEL.service]: 'api',
          [LABEL.component]: 'router',
        });
        const job = {
          ...pod('api-migrate', track('production', '1.0.0'), 'ready'),
          metadata: {
            name: 'api-migrate',
            labels: track('production', '1.0.0'),
            ownerReferences: [{ kind: 'Job', name: 'migrate', controller: true }],
          },
        };
        expect(leftoverControllers(api, { deployments, pods: [stopping, router, job] })).toEqual([]);
      });
    });
  });
});
