import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../errors/index.js';
import { freePort } from '../runtime/index.js';
import { judgedCatalog, required, startPrometheus } from '../../test/support/bed.js';
import { runCli, writeConfig } from '../../test/support/cli.js';
import { startForeground, waitFor, type UpProcess } from '../../test/support/up.js';

/**
 * `switchyard server` serving two Kubernetes environments on two clusters of the test bed,
 * driven from the CLI: a staged release with approval, a failing gate rolled back, writes that
 * never cross clusters, and a CLI or a server pointed at the wrong environment or cluster refused.
 */

const KUBECONFIG = required('SWITCHYARD_TEST_KUBECONFIG');
const KUBECONFIG_SECOND = required('SWITCHYARD_TEST_KUBECONFIG_SECOND');
const KUBECTL = join(required('SWITCHYARD_K8S_BIN'), 'kubectl');
const BOTH = `${KUBECONFIG}:${KUBECONFIG_SECOND}`;
const RUN = Date.now().toString(36);

function kubectl(kubeconfig: string, ...args: string[]): string {
  const run = spawnSync(KUBECTL, args, { encoding: 'utf8', env: { ...process.env, KUBECONFIG: kubeconfig } });
  if (run.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

/** Track → version label of the catalog's Deployments in a namespace. */
function versions(kubeconfig: string, namespace: string): Record<string, string> {
  const list = JSON.parse(
    kubectl(
      kubeconfig,
      '-n',
      namespace,
      'get',
      'deployments',
      '-l',
      'switchyard.dev/service=catalog-api',
      '-o',
      'json',
    ),
  ) as {
    items: { metadata: { labels: Record<string, string> } }[];
  };
  return Object.fromEntries(
    list.items
      .filter((d) => d.metadata.labels['switchyard.dev/track'])
      .map((d) => [
        d.metadata.labels['switchyard.dev/track'] as string,
        d.metadata.labels['switchyard.dev/version'] as string,
      ]),
  );
}

describe('switchyard server on Kubernetes clusters', () => {
  let dir: string;
  let dataDir: string;
  let api: string;
  let server: UpProcess;
  let prometheus: ChildProcess;
  const ns = { staging: `it-${RUN}-srv-staging`, production: `it-${RUN}-srv-production` };
  const cli = (args: string[], env: Record<string, string> = {}) =>
    runCli(args, { env: { SWITCHYARD_API: api, XDG_CONFIG_HOME: dataDir, KUBECONFIG: BOTH, ...env } });

  beforeAll(async () => {
    const prom = await startPrometheus();
    prometheus = prom.process;
    const catalog = judgedCatalog(prom.url, true);
    const environment = (name: string, context: string, namespace: string, protectedEnv: boolean) =>
      `kind: Environment\nname: ${name}\nruntime: kubernetes\nprotected: ${protectedEnv}\ncluster: { context: ${context}, namespace: ${namespace} }\n`;
    dir = await writeConfig({
      'services/catalog-api.yaml': catalog,
      'environments/staging.yaml': environment('staging', 'switchyard-sandbox', ns.staging, false),
      'environments/production.yaml': environment('production', 'switchyard-second', ns.production, true),
    });
    dataDir = mkdtempSync(join(tmpdir(), 'sy-srv-'));
    for (const env of ['staging', 'production']) {
      const applied = await runCli(['apply', dir, '--env', env, '--timeout', '3m'], { env: { KUBECONFIG: BOTH } });
      expect(applied.code, applied.stderr).toBe(0);
    }
    api = `http://127.0.0.1:${await freePort('127.0.0.1')}`;
    server = startForeground(['server', dir, '--listen', new URL(api).host, '--data-dir', dataDir], {
      KUBECONFIG: BOTH,
      XDG_CONFIG_HOME: dataDir,
    });
    await server.ready();
  }, 600_000);

  afterAll(async () => {
    await server?.stop();
    prometheus?.kill('SIGTERM');
    for (const [kubeconfig, namespace] of [
      [KUBECONFIG, ns.staging],
      [KUBECONFIG_SECOND, ns.production],
    ] as const) {
      spawnSync(KUBECTL, ['delete', 'namespace', namespace, '--wait=false'], {
        env: { ...process.env, KUBECONFIG: kubeconfig },
      });
    }
  });

  it('serves both environments, each from its own cluster, and refuses one it does not serve', async () => {
    expect(server.output()).toMatch(/staging \(Kubernetes context switchyard-sandbox, namespace it-.*-srv-staging\)/);
    expect(server.output()).toMatch(
      /production \(Kubernetes context switchyard-second, namespace it-.*-srv-production\)/,
    );
    const unnamed = await cli(['status']);
    expect(unnamed.code).toBe(EXIT.usage);
    expect(unnamed.stderr).toContain('SWY_API_ENVIRONMENT_REQUIRED');
    const wrong = await cli(['status', '--env', 'qa']);
    expect(wrong.code).toBe(EXIT.notFound);
    expect(wrong.stderr).toContain('This server does not serve the environment qa: it serves production, staging');
    const staging = await cli(['status', '--env', 'staging', '-o', 'json']);
    expect(staging.code, staging.stderr).toBe(0);
    expect(JSON.parse(staging.stdout)).toMatchObject({
      environment: 'staging',
      services: [{ service: 'catalog-api' }],
    });
  });

  it('takes a version through its stages with an approval, on the staging cluster only', async () => {
    const deploy = cli(['deploy', 'catalog-api', '1.5.0', '--env', 'staging', '--reason', 'new filters']);
    await waitFor(
      'the internal stage to wait for approval',
      () => versions(KUBECONFIG, ns.staging).internal === '1.5.0',
      120_000,
    );
    let approved = { code: -1, stdout: '', stderr: '' };
    await waitFor(
      'the approval to be taken',
      async () => {
        approved = await cli(['approve', 'catalog-api', '--env', 'staging']);
        return approved.code === 0;
      },
      60_000,
    );
    const done = await deploy;
    expect(done.code, `${done.stdout}\n${done.stderr}`).toBe(EXIT.ok);
    expect(done.stdout).toMatch(/catalog-api 1\.5\.0: succeeded/);
    expect(versions(KUBECONFIG, ns.staging)).toEqual({
      internal: '1.5.0',
      free: '1.5.0',
      paid: '1.5.0',
      production: '1.5.0',
    });
    expect(versions(KUBECONFIG_SECOND, ns.production)).toEqual({
      internal: '1.4.2',
      free: '1.4.2',
      paid: '1.4.2',
      production: '1.4.2',
    });
  });

  it('rolls a version back when its gate fails, and says so with the exit code', async () => {
    const judged = await cli(['deploy', 'catalog-api', '1.6.0', '--plan', 'judged', '--env', 'staging']);
    expect(judged.code, `${judged.stdout}\n${judged.stderr}`).toBe(EXIT.releaseRolledBack);
    expect(judged.stdout).toMatch(/rolled-back — stage internal: internal failed prometheus:probe 1 \(≤ 0\.5\)/);
    expect(versions(KUBECONFIG, ns.staging).internal).toBe('1.5.0');
  });

  it('keeps the protected environment of the other cluster to approvers, and writes there only', async () => {
    const created = await cli([
      'token',
      'create',
      'ci-bot',
      '--role',
      'staging=deployer',
      '--role',
      'production=deployer',
      '--env',
      'staging',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const refused = await cli(['deploy', 'catalog-api', '1.5.0', '--env', 'production', '--detach'], {
      SWITCHYARD_TOKEN: created.stdout.trim(),
    });
    expect(refused.code).toBe(EXIT.forbidden);
    expect(refused.stderr).toMatch(
      /ci-bot may not deploy in production: it needs the approver role there \(a protected environment\)/,
    );
    const deployed = await cli(['deploy', 'catalog-api', '1.5.0', '--env', 'production', '--plan', 'judged']);
    expect(deployed.code, deployed.stderr).toBe(EXIT.releaseRolledBack);
    expect(versions(KUBECONFIG_SECOND, ns.production).internal).toBe('1.4.2');
    expect(versions(KUBECONFIG, ns.staging)).toEqual({
      internal: '1.5.0',
      free: '1.5.0',
      paid: '1.5.0',
      production: '1.5.0',
    });
  });

  it('refuses to serve an environment whose context reaches another cluster than the one it pins', async () => {
    const second = kubectl(KUBECONFIG_SECOND, 'get', 'namespace', 'kube-system', '-o', 'jsonpath={.metadata.uid}');
    const pinned = await writeConfig({
      'services/catalog-api.yaml': readFileSync(join(dir, 'services/catalog-api.yaml'), 'utf8'),
      'environments/production.yaml': `kind: Environment\nname: production\nruntime: kubernetes\nprotected: true\ncluster: { context: switchyard-sandbox, namespace: ${ns.production}, identity: ${second} }\n`,
    });
    const listen = `127.0.0.1:${await freePort('127.0.0.1')}`;
    const wrong = await runCli(
      ['server', pinned, '--listen', listen, '--data-dir', mkdtempSync(join(tmpdir(), 'sy-srv-wrong-'))],
      {
        env: { KUBECONFIG: BOTH, XDG_CONFIG_HOME: dataDir },
      },
    );
    expect(wrong.code, wrong.stderr).toBe(EXIT.conflict);
    expect(wrong.stderr).toContain('SWY_KUBE_WRONG_CLUSTER');
    expect(versions(KUBECONFIG, ns.staging).internal).toBe('1.5.0');
  });
});
