/**
 * Every object Switchyard renders, for every environment of the example fleet and for the
 * test fixtures' options, is accepted by the test bed's Kubernetes API server: a server-side
 * dry run with strict field validation (an unknown or misplaced field is an error, not a
 * warning), the KEDA CRD installed by test/k8s/up for ScaledObjects.
 * env.sh: SWITCHYARD_TEST_KUBECONFIG (cluster "sandbox").
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { required } from '../../test/support/bed.js';
import { REPO_ROOT } from '../../test/support/cli.js';
import { baseTexts, setIn, type Texts } from '../../test/support/config.js';
import { KubeClient, kindInfo } from '../runtime/kubernetes/index.js';
import { parseConfig, resolveAll } from '../spec/index.js';
import { renderFleet, type KubeObject } from './index.js';

const KUBECONFIG = required('SWITCHYARD_TEST_KUBECONFIG');
const CONTEXT = 'switchyard-sandbox';
const EXAMPLE = join(REPO_ROOT, 'examples/video-platform');
const NAMESPACE = `it-render-${Date.now().toString(36)}`;

function exampleTexts(): Texts {
  const texts: Texts = {};
  for (const sub of ['services', 'environments'])
    for (const file of readdirSync(join(EXAMPLE, sub)))
      texts[`${sub}/${file}`] = readFileSync(join(EXAMPLE, sub, file), 'utf8');
  return texts;
}

/** The fixtures with the options the example leaves out switched on: KEDA, a legacy backend over TLS, a numeric user. */
function optionTexts(): Texts {
  const texts = baseTexts();
  let api = texts['services/api.yaml'] as string;
  api = setIn(api, 'legacy', { address: 'legacy.example.com:443', share: 50, tls: true });
  api = setIn(api, 'runAs', { user: 2000, group: 3000 });
  api = setIn(api, 'traffic.userKey', { cookie: 'session' });
  texts['services/api.yaml'] = api;
  texts['services/encoder.yaml'] = setIn(texts['services/encoder.yaml'] as string, 'scaling', { keda: true });
  return texts;
}

/** Every rendered object of every environment of a configuration, named by where it comes from. */
function rendered(name: string, texts: Texts): { where: string; object: KubeObject }[] {
  return resolveAll(parseConfig(name, texts)).flatMap((fleet) =>
    renderFleet(fleet)
      .flatMap((u) => u.objects)
      .map((object) => ({ where: `${name}/${fleet.environment.name}`, object })),
  );
}

function collectionPath(object: KubeObject): string {
  const { apiVersion, plural } = kindInfo(object);
  return `${apiVersion.includes('/') ? '/apis' : '/api'}/${apiVersion}/namespaces/${NAMESPACE}/${plural}`;
}

describe('rendered objects and the Kubernetes API server', () => {
  let client: KubeClient;

  beforeAll(async () => {
    client = await KubeClient.connect({ kubeconfig: KUBECONFIG, context: CONTEXT });
    // A dry run of a namespaced object needs its namespace to exist.
    await client.request('POST', '/api/v1/namespaces', {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } },
    });
  });

  afterAll(async () => {
    await client?.request('DELETE', `/api/v1/namespaces/${NAMESPACE}`).catch(() => undefined);
    client?.close();
  });

  it('accepts every object with strict field validation (server-side dry run)', async () => {
    const all = [...rendered('example', exampleTexts()), ...rendered('options', optionTexts())];
    const refused: string[] = [];
    for (const { where, object } of all) {
      const body = { ...object, metadata: { ...object.metadata, namespace: NAMESPACE } };
      await client
        .request('POST', collectionPath(object), {
          query: { dryRun: 'All', fieldValidation: 'Strict' },
          body,
        })
        .catch((err: unknown) => refused.push(`${where} ${object.kind}/${object.metadata.name}: ${String(err)}`));
    }
    expect(refused).toEqual([]);
    const kinds = new Set(all.map((x) => x.object.kind));
    expect([...kinds].sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'Ingress',
      'PodDisruptionBudget',
      'ScaledObject',
      'Service',
    ]);
    expect(all.length).toBeGreaterThan(150);
  });

  it('refuses an object with a field Kubernetes does not know: the check above can fail', async () => {
    const deployment = rendered('options', optionTexts()).find((x) => x.object.kind === 'Deployment')?.object;
    const wrong = {
      ...deployment,
      metadata: { ...deployment?.metadata, namespace: NAMESPACE },
      spec: { ...(deployment?.['spec'] as object), replicaz: 3 },
    } as KubeObject;
    const err = await client
      .request('POST', collectionPath(wrong), { query: { dryRun: 'All', fieldValidation: 'Strict' }, body: wrong })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(String(err)).toContain('replicaz');
  });
});
