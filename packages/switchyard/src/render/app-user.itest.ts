/**
 * An app container's security context on the test bed's real node (kubelet and containerd):
 * runAsNonRoot alone cannot start an image whose USER the kubelet cannot prove non-root (a
 * name, or none, as in busybox), so the rendered context names a numeric user and group.
 * env.sh: SWITCHYARD_TEST_KUBECONFIG, SWITCHYARD_TEST_REAL_NODE and the node's busybox image.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { required } from '../../test/support/bed.js';
import { baseTexts, find, objectsOf, setIn } from '../../test/support/config.js';
import { KubeClient } from '../runtime/kubernetes/index.js';
import type { Deployment } from './index.js';

const REAL_NODE_HINT =
  'start the test bed with a real node: test/k8s/up --real-node (test/run does) and source /tmp/switchyard/k8s/env.sh';
const KUBECONFIG = required('SWITCHYARD_TEST_KUBECONFIG');
const NODE = required('SWITCHYARD_TEST_REAL_NODE', REAL_NODE_HINT);
const BUSYBOX = required('SWITCHYARD_TEST_REAL_NODE_BUSYBOX_IMAGE', REAL_NODE_HINT);
const NAMESPACE = `it-app-user-${Date.now().toString(36)}`;

interface PodStatus {
  phase?: string;
  containerStatuses?: { state?: { running?: object; waiting?: { reason?: string; message?: string } } }[];
}

/** The security context the renderer gives a track's container, with runAs as given (or the default). */
function renderedContext(runAs?: { user: number; group?: number }): Record<string, unknown> {
  const texts = baseTexts();
  if (runAs) texts['services/api.yaml'] = setIn(texts['services/api.yaml'] as string, 'runAs', runAs);
  const deployment = find(objectsOf(texts), 'Deployment', 'api-free') as Deployment;
  return deployment.spec.template.spec.containers[0]?.securityContext as Record<string, unknown>;
}

describe('app containers on a real node', () => {
  let client: KubeClient;

  beforeAll(async () => {
    client = await KubeClient.connect({ kubeconfig: KUBECONFIG, context: 'switchyard-sandbox' });
    await client.request('POST', '/api/v1/namespaces', {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } },
    });
  });

  afterAll(async () => {
    await client?.request('DELETE', `/api/v1/namespaces/${NAMESPACE}`).catch(() => undefined);
    client?.close();
  });

  /** Starts busybox on the real node with `securityContext`; resolves with its status once it runs or is refused. */
  async function start(name: string, securityContext: Record<string, unknown>): Promise<PodStatus> {
    await client.request('POST', `/api/v1/namespaces/${NAMESPACE}/pods`, {
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name },
        spec: {
          nodeName: NODE,
          tolerations: [{ key: 'switchyard.dev/node-pool', operator: 'Equal', value: 'real', effect: 'NoSchedule' }],
          terminationGracePeriodSeconds: 0,
          automountServiceAccountToken: false,
          containers: [
            {
              name: 'app',
              image: BUSYBOX,
              imagePullPolicy: 'Never',
              command: ['sleep', '3600'],
              securityContext,
            },
          ],
        },
      },
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const pod = await client.request<{ status?: PodStatus }>('GET', `/api/v1/namespaces/${NAMESPACE}/pods/${name}`);
      const state = pod.status?.containerStatuses?.[0]?.state;
      if (state?.running || state?.waiting?.reason === 'CreateContainerConfigError') return pod.status as PodStatus;
      if (Date.now() > deadline)
        throw new Error(`pod ${name} neither ran nor was refused: ${JSON.stringify(pod.status)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  it('runs an image with no numeric user under the rendered context (10001:10001)', async () => {
    const context = renderedContext();
    expect(context).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001 });
    const status = await start('rendered', context);
    expect(status.containerStatuses?.[0]?.state?.running, JSON.stringify(status)).toBeDefined();
  });

  it('runs it as the user a service names', async () => {
    const status = await start('named', renderedContext({ user: 4242 }));
    expect(status.containerStatuses?.[0]?.state?.running, JSON.stringify(status)).toBeDefined();
  });

  it('is refused with runAsNonRoot alone (what tracks rendered before): the kubelet cannot verify the user', async () => {
    const { runAsUser: _user, runAsGroup: _group, ...nonRootOnly } = renderedContext();
    const status = await start('non-root-only', nonRootOnly);
    const waiting = status.containerStatuses?.[0]?.state?.waiting;
    expect(waiting?.reason, JSON.stringify(status)).toBe('CreateContainerConfigError');
    expect(waiting?.message).toMatch(/non-root|runAsNonRoot/);
  });
});
