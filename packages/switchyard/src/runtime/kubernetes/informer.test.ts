import { describe, expect, it } from 'vitest';
import { configSource } from './client.js';
import { backoffDelay, ObjectCache } from './informer.js';
import type { LiveDeployment } from './rollout.js';

const deployment = (name: string, resourceVersion: string, replicas = 1): LiveDeployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, resourceVersion },
  spec: { replicas },
});

describe('the informer cache', () => {
  it('takes a list whole: objects not in it are gone, and the watch resumes from its resourceVersion', () => {
    const cache = new ObjectCache<LiveDeployment>();
    expect(cache.resourceVersion).toBe('');
    cache.replace([deployment('b', '5'), deployment('a', '4')], '10');
    expect(cache.items().map((d) => d.metadata.name)).toEqual(['a', 'b']);
    expect(cache.resourceVersion).toBe('10');
    const change = cache.replace([deployment('a', '12')], '13');
    expect(change).toEqual({ type: 'synced', items: [deployment('a', '12')] });
    expect(cache.get('b')).toBeUndefined();
    expect(cache.resourceVersion).toBe('13');
  });

  it('applies added, modified and deleted objects, each moving the resourceVersion', () => {
    const cache = new ObjectCache<LiveDeployment>();
    cache.replace([deployment('a', '4')], '10');
    expect(cache.apply({ type: 'ADDED', object: deployment('b', '11') })).toEqual({
      next: 'resume',
      change: { type: 'set', object: deployment('b', '11') },
    });
    cache.apply({ type: 'MODIFIED', object: deployment('a', '12', 3) });
    expect(cache.get('a')?.spec.replicas).toBe(3);
    expect(cache.resourceVersion).toBe('12');
    expect(cache.apply({ type: 'DELETED', object: deployment('b', '13') })).toEqual({
      next: 'resume',
      change: { type: 'deleted', object: deployment('b', '13') },
    });
    expect(cache.items().map((d) => d.metadata.name)).toEqual(['a']);
    expect(cache.resourceVersion).toBe('13');
  });

  it('moves only the resourceVersion on a bookmark', () => {
    const cache = new ObjectCache<LiveDeployment>();
    cache.replace([deployment('a', '4')], '10');
    const bookmark = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: '', resourceVersion: '42' } };
    expect(cache.apply({ type: 'BOOKMARK', object: bookmark as LiveDeployment })).toEqual({ next: 'resume' });
    expect(cache.resourceVersion).toBe('42');
    expect(cache.items()).toEqual([deployment('a', '4')]);
  });

  it('lists again after an ERROR event (410 Gone) but keeps serving what it has until then', () => {
    const cache = new ObjectCache<LiveDeployment>();
    cache.replace([deployment('a', '4')], '10');
    const gone = { code: 410, reason: 'Expired', message: 'too old resource version: 10 (500)' };
    expect(cache.apply({ type: 'ERROR', object: gone as unknown as LiveDeployment })).toEqual({ next: 'relist' });
    expect(cache.resourceVersion).toBe('');
    expect(cache.items()).toEqual([deployment('a', '4')]);
  });

  it('backs off doubling up to a ceiling', () => {
    const backoff = { initialMs: 250, maxMs: 5000 };
    expect([0, 1, 2, 3, 4, 5, 100].map((a) => backoffDelay(a, backoff))).toEqual([
      250, 500, 1000, 2000, 4000, 5000, 5000,
    ]);
  });
});

describe('where the client finds its cluster', () => {
  const none = (): boolean => false;
  const inPod = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', HOME: '/home/switchyard' };

  it('uses a named kubeconfig first, then $KUBECONFIG, then ~/.kube/config, even in a pod', () => {
    expect(configSource({ kubeconfig: '/etc/kube/config' }, inPod, none)).toEqual({
      from: 'file',
      path: '/etc/kube/config',
    });
    expect(configSource({}, { ...inPod, KUBECONFIG: '/etc/kube/config' }, none)).toEqual({ from: 'default' });
    expect(configSource({}, inPod, (p) => p === '/home/switchyard/.kube/config')).toEqual({ from: 'default' });
  });

  it("uses the pod's service account when no kubeconfig is found and KUBERNETES_SERVICE_HOST is set", () => {
    expect(configSource({}, inPod, none)).toEqual({ from: 'cluster', serviceAccountRoot: '' });
    expect(configSource({ serviceAccountRoot: '/tmp/sa' }, inPod, none)).toEqual({
      from: 'cluster',
      serviceAccountRoot: '/tmp/sa',
    });
  });

  it('outside a pod without a kubeconfig, falls back to the default (which then says what is missing)', () => {
    expect(configSource({}, { HOME: '/home/switchyard' }, none)).toEqual({ from: 'default' });
    expect(configSource({}, { KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '' }, none)).toEqual({ from: 'default' });
  });
});
