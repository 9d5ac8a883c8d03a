/**
 * Leftovers on the real control plane of test/k8s (kwok nodes): a Deployment of an old version
 * made by hand with Switchyard's labels — Bitmovin's forgotten blue/green version — and the
 * ReplicaSet such a Deployment leaves when it is deleted without its dependents are named by
 * the `leftovers` finding, and the command the finding gives removes each.
 */
import { spawnSync } from 'node:child_process';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { required } from '../../../test/support/bed.js';
import { baseTexts, fleetOf } from '../../../test/support/config.js';
import { observe } from '../../health/index.js';
import { LABEL, MANAGED_BY } from '../../render/index.js';
import type { Fleet } from '../../spec/index.js';
import { KubeClient, KubernetesRuntime } from './index.js';

const KUBECONFIG = required('SWITCHYARD_TEST_KUBECONFIG');
const CONTEXT = 'switchyard-sandbox';
const NAMESPACE = `leftovers-${Date.now().toString(36)}`;
let admin: KubeClient;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The base service `api` alone, on the test bed's cluster, in its own namespace. */
function fleet(): Fleet {
  const { 'services/encoder.yaml': _worker, ...texts } = baseTexts();
  const env = stringify({
    apiVersion: 'switchyard.dev/v1',
    kind: 'Environment',
    name: 'staging',
    runtime: 'kubernetes',
    cluster: { context: CONTEXT, namespace: NAMESPACE },
  });
  return fleetOf({ ...texts, 'environments/staging.yaml': env }, 'staging');
}

/** An old version's Deployment of the stable track, as a blue/green pipeline left it: Switchyard's labels, another name. */
function blueDeployment(name = 'api-production-blue', track = 'production') {
  const labels = {
    [LABEL.managedBy]: MANAGED_BY,
    [LABEL.env]: 'staging',
    [LABEL.service]: 'api',
    [LABEL.track]: track,
    [LABEL.component]: 'track',
    [LABEL.version]: '0.9.0',
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NAMESPACE, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: { [LABEL.service]: 'api', [LABEL.version]: '0.9.0', 'blue-green': name } },
      template: {
        metadata: { labels: { ...labels, 'blue-green': name } },
        spec: { containers: [{ name: 'api', image: 'registry.example.com/api:0.9.0' }] },
      },
    },
  };
}

beforeAll(async () => {
  admin = await KubeClient.connect({ kubeconfig: KUBECONFIG, context: CONTEXT });
});

afterAll(async () => {
  await admin?.request('DELETE', `/api/v1/namespaces/${NAMESPACE}`).catch(() => undefined);
  admin?.close();
});

describe('leftovers on a cluster', () => {
  it('names a Deployment no track of the service explains, with the command that removes it', async () => {
    const spec = fleet();
    const runtime = await KubernetesRuntime.connect({
      fleet: spec,
      kubeconfig: KUBECONFIG,
      wait: { timeoutMs: 120_000 },
    });
    try {
      await runtime.apply({ services: ['api'] });
      await runtime.start();
      const findings = async () =>
        observe({ fleet: spec, services: await runtime.status(), workers: [], releases: [] }, new Date()).filter(
          (f) => f.check === 'leftovers',
        );
      expect(await findings()).toEqual([]);

      await admin.request('POST', `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`, { body: blueDeployment() });
      let found = await findings();
      for (let i = 0; i < 100 && found.length === 0; i++) {
        await sleep(100);
        found = await findings();
      }
      const command = `kubectl --context ${CONTEXT} -n ${NAMESPACE} delete deployment api-production-blue`;
      expect(found).toMatchObject([
        {
          check: 'leftovers',
          severity: 'warning',
          unit: 'api',
          part: 'production',
          objects: ['Deployment/api-production-blue'],
        },
      ]);
      expect(found[0]?.message).toContain('Deployment api-production-blue (version 0.9.0)');
      expect(found[0]?.hint).toContain(`\`${command}\``);
      // The Deployments Switchyard applied are none of it.
      expect(found[0]?.objects).not.toContain('Deployment/api-production');

      const [program, ...args] = command.split(' ');
      const removed = spawnSync(program as string, args, { env: { ...process.env, KUBECONFIG }, encoding: 'utf8' });
      expect(removed.status, removed.stderr).toBe(0);
      for (let i = 0; i < 100 && found.length > 0; i++) {
        await sleep(100);
        found = await findings();
      }
      expect(found).toEqual([]);

      // An old version of a track the service no longer has, its Deployment deleted but not its
      // ReplicaSet (`--cascade=orphan`). (An orphan of a track the service has is adopted by that
      // track's Deployment, whose selector matches its pods, and scaled down by Kubernetes itself.)
      await admin.request('POST', `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`, {
        body: blueDeployment('api-beta-green', 'beta'),
      });
      const replicaSet = async () => {
        const answer = await admin.request<{ items: { metadata: { name: string } }[] }>(
          'GET',
          `/apis/apps/v1/namespaces/${NAMESPACE}/replicasets?labelSelector=blue-green%3Dapi-beta-green`,
        );
        return answer.items[0]?.metadata.name;
      };
      let name = await replicaSet();
      for (let i = 0; i < 100 && !name; i++) {
        await sleep(100);
        name = await replicaSet();
      }
      expect(name).toBeDefined();
      await admin.request('DELETE', `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/api-beta-green`, {
        body: { propagationPolicy: 'Orphan' },
      });
      const orphaned = `ReplicaSet/${name}`;
      for (let i = 0; i < 150 && found[0]?.objects[0] !== orphaned; i++) {
        await sleep(100);
        found = await findings();
      }
      expect(found).toMatchObject([{ check: 'leftovers', unit: 'api', part: 'beta', objects: [orphaned] }]);
      const orphanCommand = `kubectl --context ${CONTEXT} -n ${NAMESPACE} delete replicaset ${name}`;
      expect(found[0]?.hint).toContain(`\`${orphanCommand}\``);
      const [bin, ...rest] = orphanCommand.split(' ');
      const gone = spawnSync(bin as string, rest, { env: { ...process.env, KUBECONFIG }, encoding: 'utf8' });
      expect(gone.status, gone.stderr).toBe(0);
      for (let i = 0; i < 150 && found.length > 0; i++) {
        await sleep(100);
        found = await findings();
      }
      expect(found).toEqual([]);
    } finally {
      await runtime.stop();
    }
  });
});
