import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { required } from '../../test/support/bed.js';
import { runCli, writeConfig } from '../../test/support/cli.js';
import { baseTexts, setIn } from '../../test/support/config.js';

const KUBECONFIG = required('SWITCHYARD_TEST_KUBECONFIG');
const CONTEXT = 'switchyard-sandbox';
const NAMESPACE = `it-${Date.now().toString(36)}-apply-diff`;

function kubectl(args: readonly string[]): string {
  const r = spawnSync('kubectl', ['--kubeconfig', KUBECONFIG, '--context', CONTEXT, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** An environment of its own: the sandbox cluster holds other tests' environments, and claims are per name. */
const ENV = 'apply-diff';

/** The small test fleet with an environment of its own in a namespace of the sandbox cluster. */
async function fleet(change: (service: string) => string = (s) => s): Promise<string> {
  const texts = baseTexts();
  texts[`environments/${ENV}.yaml`] = [
    'apiVersion: switchyard.dev/v1',
    'kind: Environment',
    `name: ${ENV}`,
    'runtime: kubernetes',
    `cluster: { context: ${CONTEXT}, namespace: ${NAMESPACE} }`,
    '',
  ].join('\n');
  texts['services/api.yaml'] = change(texts['services/api.yaml'] as string);
  return writeConfig(texts);
}

const apply = (dir: string, ...more: string[]) =>
  runCli(['apply', dir, '--env', ENV, '-s', 'api', '--kubeconfig', KUBECONFIG, '--no-wait', ...more]);

afterAll(() => {
  spawnSync('kubectl', [
    '--kubeconfig',
    KUBECONFIG,
    '--context',
    CONTEXT,
    'delete',
    'namespace',
    NAMESPACE,
    '--wait=false',
  ]);
});

describe('switchyard apply --dry-run against the sandbox cluster', () => {
  it('prints a unified diff of what would change, field by field, and writes nothing', async () => {
    const first = await apply(await fleet());
    expect(first.code, first.stderr).toBe(0);
    const live = kubectl([
      '-n',
      NAMESPACE,
      'get',
      'deployment',
      'api-free',
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    ]);
    expect(live).toBe('registry.example.com/video/api:1.0.0');

    const changed = await fleet((s) => setIn(s, 'version', '1.1.0'));
    const dry = await apply(changed, '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    // The version change, in every track's Deployment, with its context.
    expect(dry.stdout).toContain('--- live/Deployment/api-free\n+++ applied/Deployment/api-free\n@@ ');
    expect(dry.stdout).toMatch(/^-\s+image: registry\.example\.com\/video\/api:1\.0\.0$/m);
    expect(dry.stdout).toMatch(/^\+\s+image: registry\.example\.com\/video\/api:1\.1\.0$/m);
    expect(dry.stdout).toMatch(/^-\s+switchyard\.dev\/version: 1\.0\.0\n\+\s+switchyard\.dev\/version: 1\.1\.0$/m);
    expect(dry.stdout).not.toMatch(/resourceVersion|managedFields|applied-hash/);
    expect(dry.stderr).toMatch(/objects valid \(nothing written\)/);
    // Nothing was written.
    expect(
      kubectl([
        '-n',
        NAMESPACE,
        'get',
        'deployment',
        'api-free',
        '-o',
        'jsonpath={.spec.template.spec.containers[0].image}',
      ]),
    ).toBe('registry.example.com/video/api:1.0.0');

    // -o json carries the same diff; an unchanged fleet has none.
    const json = JSON.parse((await apply(changed, '--dry-run', '-o', 'json')).stdout) as { diff: string };
    expect(json.diff).toBe(dry.stdout);
    const same = await apply(await fleet(), '--dry-run');
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toBe('');
  });
});
