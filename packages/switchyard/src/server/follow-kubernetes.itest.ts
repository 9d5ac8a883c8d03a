import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigStatus } from '../api/index.js';
import { freePort } from '../runtime/index.js';
import { FIELD_MANAGER } from '../runtime/kubernetes/index.js';
import { gitAsPerson, pushFiles, required } from '../../test/support/bed.js';
import { REPO_ROOT, runCli } from '../../test/support/cli.js';
import { setIn } from '../../test/support/config.js';
import { adminAuth, startForeground, waitFor, type UpProcess } from '../../test/support/up.js';

/**
 * A server following a configuration repository for a Kubernetes environment of the test bed:
 * a service added by a commit is applied to the cluster without a restart, a bad commit writes
 * nothing, and a service removed by a commit has its objects pruned.
 */

const KUBECONFIG = required('SWITCHYARD_TEST_KUBECONFIG');
const KUBECTL = join(required('SWITCHYARD_K8S_BIN'), 'kubectl');
const NAMESPACE = `it-${Date.now().toString(36)}-follow`;

function kubectl(...args: string[]): string {
  const run = spawnSync(KUBECTL, args, { encoding: 'utf8', env: { ...process.env, KUBECONFIG } });
  if (run.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

/** Name → resourceVersion of the Deployments of one service. */
/**
 * Each Deployment of a service by what Switchyard last wrote to it: its field manager's entry
 * (the fields it owns and when it last changed them). Not the resourceVersion or generation:
 * the controllers write status, and the HPA of the example's production track writes replicas.
 */
function deployments(service: string): Record<string, string> {
  const list = JSON.parse(
    kubectl(
      '-n',
      NAMESPACE,
      'get',
      'deployments',
      '-l',
      `switchyard.dev/service=${service}`,
      '-o',
      'json',
      '--show-managed-fields',
    ),
  ) as { items: { metadata: { name: string; managedFields?: { manager: string }[] } }[] };
  return Object.fromEntries(
    list.items.map(({ metadata: m }) => [
      m.name,
      JSON.stringify((m.managedFields ?? []).filter((f) => f.manager === FIELD_MANAGER)),
    ]),
  );
}

const git = gitAsPerson;

describe('a server following a configuration repository on a Kubernetes cluster', () => {
  let work: string;
  let dataDir: string;
  let api: string;
  let server: UpProcess;
  let catalog: string;

  const push = (files: Record<string, string | null>, message: string) => pushFiles(work, files, message);

  const config = async () =>
    (await (
      await fetch(`${api}/v1/config`, { headers: { authorization: adminAuth(dataDir) } })
    ).json()) as ConfigStatus;

  beforeAll(async () => {
    const root = await mkdtemp(join(tmpdir(), 'switchyard-follow-kube-'));
    const remote = join(root, 'config.git');
    work = join(root, 'work');
    dataDir = join(root, 'data');
    git(root, 'init', '--quiet', '--bare', '--initial-branch=main', remote);
    git(root, 'clone', '--quiet', remote, work);
    // The example's service, with fewer replicas: the test bed is shared with other tests.
    catalog = setIn(
      await readFile(join(REPO_ROOT, 'examples/video-platform/services/catalog-api.yaml'), 'utf8'),
      'tracks',
      { internal: { replicas: 2 }, free: { replicas: 2 }, paid: { replicas: 2 }, production: { replicas: 2 } },
    );
    await push(
      {
        'services/catalog-api.yaml': catalog,
        'environments/staging.yaml': `kind: Environment\nname: staging\nruntime: kubernetes\ncluster: { context: switchyard-sandbox, namespace: ${NAMESPACE} }\n`,
      },
      'catalog',
    );
    const applied = await runCli(['apply', work, '--env', 'staging', '--timeout', '3m'], { env: { KUBECONFIG } });
    expect(applied.code, applied.stderr).toBe(0);
    api = `http://127.0.0.1:${await freePort('127.0.0.1')}`;
    server = startForeground(['server', remote, '--poll', '1s', '--listen', new URL(api).host, '--data-dir', dataDir], {
      KUBECONFIG,
      XDG_CONFIG_HOME: dataDir,
    });
    await server.ready();
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
    spawnSync(KUBECTL, ['delete', 'namespace', NAMESPACE, '--wait=false'], { env: { ...process.env, KUBECONFIG } });
  });

  it('applies a service a commit adds, refuses a bad commit without a write, and prunes a service a commit removes', async () => {
    const catalogBefore = deployments('catalog-api');
    expect(Object.keys(catalogBefore).length).toBeGreaterThan(0);
    for (const written of Object.values(catalogBefore)) expect(JSON.parse(written)).toHaveLength(1);
    const search = setIn(setIn(catalog, 'name', 'search-api'), 'hosts', ['search.example.com']);
    const added = await push({ 'services/search-api.yaml': search }, 'add search-api');
    await waitFor('search-api served', async () => (await config()).servedCommit === added, 180_000);
    expect(Object.keys(deployments('search-api')).length).toBeGreaterThan(0);
    expect(deployments('catalog-api')).toEqual(catalogBefore);

    const searchBefore = deployments('search-api');
    const bad = await push({ 'services/search-api.yaml': setIn(search, 'resources.cpu', 'lots') }, 'break search-api');
    await waitFor('the bad commit refused', async () => (await config()).refused?.commit === bad, 60_000);
    expect((await config()).refused?.issues[0]).toMatchObject({
      file: 'services/search-api.yaml',
      path: 'resources.cpu',
    });
    expect(deployments('search-api')).toEqual(searchBefore);
    expect(deployments('catalog-api')).toEqual(catalogBefore);

    const removed = await push({ 'services/search-api.yaml': null }, 'remove search-api');
    await waitFor('search-api removed', async () => (await config()).servedCommit === removed, 120_000);
    expect(deployments('search-api')).toEqual({});
    expect(deployments('catalog-api')).toEqual(catalogBefore);
    expect(server.child.exitCode).toBeNull();
  }, 420_000);
});
