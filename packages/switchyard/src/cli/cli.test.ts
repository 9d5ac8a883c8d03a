import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT, runCli, writeConfig, type CliResult } from '../../test/support/cli.js';
import { baseTexts, setIn } from '../../test/support/config.js';

const EXAMPLE = 'examples/video-platform';

describe.concurrent('switchyard CLI on the example fleet', () => {
  it('validate checks every environment', async () => {
    const r = await runCli(['validate', EXAMPLE]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      '✔ production (kubernetes): 4 services, 1 worker valid\n✔ sandbox (local): 4 services, 1 worker valid\n✔ staging (kubernetes): 4 services, 1 worker valid\n',
    );
  });

  it('validate -o json lists the units', async () => {
    const r = await runCli(['validate', EXAMPLE, '--env', 'staging', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const json = JSON.parse(r.stdout) as {
      valid: boolean;
      environments: { environment: string; units: { name: string; kind: string }[] }[];
    };
    expect(json.valid).toBe(true);
    expect(json.environments[0]?.units.map((u) => u.name)).toEqual([
      'api-gateway',
      'catalog-api',
      'encoding-worker',
      'thumbnail',
      'user-preferences-api',
    ]);
  });

  it('render to stdout is the golden file', async () => {
    const r = await runCli(['render', EXAMPLE, '--env', 'production']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(REPO_ROOT, 'test/golden/production.yaml'), 'utf8'));
  });

  it('validate --json still works, saying on stderr what to write instead; -o yaml is the same data', async () => {
    const [old, json, yaml] = await Promise.all([
      runCli(['validate', EXAMPLE, '--env', 'staging', '--json']),
      runCli(['validate', EXAMPLE, '--env', 'staging', '--output=json']),
      runCli(['validate', EXAMPLE, '--env', 'staging', '-o', 'yaml']),
    ]);
    expect(old.code).toBe(0);
    expect(old.stdout).toBe(json.stdout);
    expect(old.stderr).toBe('warning: --json is deprecated; use -o json (switchyard validate -o json)\n');
    expect(parseDocument(yaml.stdout).toJS()).toEqual(JSON.parse(json.stdout));
  });

  it('render -o json prints a List of the objects; -o yaml is the multi-document stream', async () => {
    const [json, yaml] = await Promise.all([
      runCli(['render', EXAMPLE, '--env', 'production', '-o', 'json']),
      runCli(['render', EXAMPLE, '--env', 'production', '-o', 'yaml']),
    ]);
    expect(json.code, json.stderr).toBe(0);
    const list = JSON.parse(json.stdout) as { apiVersion: string; kind: string; items: { kind: string }[] };
    expect(list).toMatchObject({ apiVersion: 'v1', kind: 'List' });
    expect(yaml.stdout).toBe(readFileSync(join(REPO_ROOT, 'test/golden/production.yaml'), 'utf8'));
    expect(list.items).toHaveLength(yaml.stdout.match(/^---$/gm)?.length ?? 0);
  });

  it('render -o with a directory (what -o once meant) names --out-dir', async () => {
    const r = await runCli(['render', EXAMPLE, '--env', 'production', '-o', 'out']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('SWY_CLI_USAGE: render -o takes json or yaml, not out');
    expect(r.stderr).toContain('hint: To write one file per object under a directory, use --out-dir out.');
    expect(r.stdout).toBe('');
  });

  it('render --out-dir writes one file per object, and a second render gives the same files', async () => {
    const out = await mkdtemp(join(tmpdir(), 'switchyard-render-'));
    const first = await runCli(['render', EXAMPLE, '--env', 'staging', '--out-dir', out]);
    expect(first.code, first.stderr).toBe(0);
    const dirs = readdirSync(join(out, 'staging')).sort();
    expect(dirs).toEqual(['api-gateway', 'catalog-api', 'encoding-worker', 'thumbnail', 'user-preferences-api']);
    const files = readdirSync(join(out, 'staging/catalog-api')).sort();
    expect(files).toContain('deployment-catalog-api-free.yaml');
    expect(files).toContain('configmap-catalog-api-router.yaml');
    expect(files).toContain('horizontalpodautoscaler-catalog-api-production.yaml');
    const before = readFileSync(join(out, 'staging/catalog-api/deployment-catalog-api-free.yaml'), 'utf8');
    expect(parseDocument(before).toJS()).toMatchObject({
      kind: 'Deployment',
      metadata: { name: 'catalog-api-free', namespace: 'video-staging' },
    });
    // --out, the old name, still writes the same files and says what to write instead.
    const second = await runCli(['render', EXAMPLE, '--env', 'staging', '--out', out]);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('warning: --out is deprecated; use --out-dir\n');
    expect(readFileSync(join(out, 'staging/catalog-api/deployment-catalog-api-free.yaml'), 'utf8')).toBe(before);
    expect(first.stderr).toMatch(/rendered \d+ objects of 5 services/);
  });

  it('render -s renders only the named services; an unknown one is an error', async () => {
    const one = await runCli(['render', EXAMPLE, '--env', 'production', '-s', 'thumbnail']);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('name: thumbnail-free');
    expect(one.stdout).not.toContain('catalog-api');
    const bad = await runCli(['render', EXAMPLE, '--env', 'production', '-s', 'thumbnails']);
    expect(bad.code).toBe(66);
    expect(bad.stderr).toContain('SWY_SPEC_SERVICE_NOT_FOUND');
    expect(bad.stderr).toContain(
      'Use one of: api-gateway, catalog-api, encoding-worker, thumbnail, user-preferences-api.',
    );
  });

  it('check passes the example fleet in every environment', async () => {
    const r = await runCli(['check', EXAMPLE]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^production: \d+ objects, 21 rules — 0 errors, 0 warnings, 0 info, 0 exempted$/m);
    expect(r.stdout).toMatch(/^sandbox: .* 0 errors, 0 warnings, 0 info, 5 exempted$/m);
  });

  it('check -o sarif is SARIF 2.1.0 with every rule', async () => {
    const r = await runCli(['check', EXAMPLE, '--env', 'production', '-o', 'sarif']);
    expect(r.code).toBe(0);
    const sarif = JSON.parse(r.stdout) as {
      version: string;
      runs: { tool: { driver: { rules: { id: string }[] } }; results: unknown[] }[];
    };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]?.tool.driver.rules).toHaveLength(21);
    expect(sarif.runs[0]?.results).toEqual([]);
  });

  it('check -o junit has one test case per rule; --format, the old name, still works and says so', async () => {
    const old = await runCli(['check', EXAMPLE, '--env', 'production', '--format', 'junit']);
    expect(old.stderr).toBe('warning: --format is deprecated; use -o junit\n');
    const r = await runCli(['check', EXAMPLE, '--env', 'production', '-o', 'junit']);
    expect(r.stdout).toBe(old.stdout);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="switchyard check">/);
    expect(r.stdout.match(/<testcase /g)).toHaveLength(21);
    expect(r.stdout).toContain('<testsuite name="production" tests="21" failures="0"');
  });

  it('check --list-rules lists every rule', async () => {
    const r = await runCli(['check', '--list-rules']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(21);
    expect(r.stdout).toMatch(/^router-not-on-spot\s+error\s+Routers run on on-demand capacity$/m);
  });

  it('schema prints the published JSON Schema; -o yaml the same schema as YAML', async () => {
    const [json, yaml] = await Promise.all([runCli(['schema']), runCli(['schema', '-o', 'yaml'])]);
    expect(json.stdout).toBe(readFileSync(join(REPO_ROOT, 'packages/switchyard/schema/unit.schema.json'), 'utf8'));
    expect(parseDocument(yaml.stdout).toJS()).toEqual(JSON.parse(json.stdout));
  });

  it('a duration flag takes the Go style and names a bad value', async () => {
    const r = await runCli(['deploy', 'catalog-api', '1.5.0', '--timeout', '1h 30m', '--api', 'http://127.0.0.1:9']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('SWY_CLI_USAGE: --timeout 1h 30m is not a duration');
    expect(r.stderr).toContain('hint: Give a duration such as 250ms, 90s, 5m, 1h30m or 2d.');
  });

  it('FORCE_COLOR colours what goes to a pipe, NO_COLOR and FORCE_COLOR=0 do not', async () => {
    const args = ['render', EXAMPLE];
    const [forced, plain, off] = await Promise.all([
      runCli(args, { env: { FORCE_COLOR: '1' } }),
      runCli(args),
      runCli(args, { env: { FORCE_COLOR: '0' } }),
    ]);
    expect(forced.stderr).toContain('\u001b[31merror\u001b[39m \u001b[1mSWY_CLI_USAGE\u001b[22m');
    for (const r of [plain, off]) {
      expect(r.stderr).toContain('error SWY_CLI_USAGE');
      expect(r.stderr).not.toContain('\u001b[');
    }
  });
});

describe.concurrent('switchyard check exit codes', () => {
  it('exits 4 on an error, with the finding located in its service file', async () => {
    const texts = baseTexts();
    texts['services/api.yaml'] = setIn(texts['services/api.yaml'] as string, 'version', 'latest');
    const dir = await writeConfig(texts);
    const human = await runCli(['check', dir, '--env', 'production']);
    expect(human.code).toBe(4);
    expect(human.stdout).toContain(
      '✖ error image-tag-immutable: Images are pinned to a version, never latest — 4 objects: Deployment api-free, Deployment api-internal, Deployment api-paid, Deployment api-production\n      fix: Use an immutable tag',
    );
    expect(human.stdout).toContain('api (services/api.yaml)');
    const sarif = JSON.parse(
      (await runCli(['check', dir, '--env', 'production', '-o', 'sarif'], { cwd: dir })).stdout,
    ) as {
      runs: {
        results: {
          ruleId: string;
          level: string;
          locations: { physicalLocation: { artifactLocation: { uri: string } } }[];
        }[];
      }[];
    };
    const result = sarif.runs[0]?.results[0];
    expect(result?.ruleId).toBe('image-tag-immutable');
    expect(result?.level).toBe('error');
    expect(result?.locations[0]?.physicalLocation.artifactLocation.uri).toBe('services/api.yaml');
    const junit = await runCli(['check', dir, '--env', 'production', '-o', 'junit']);
    expect(junit.code).toBe(4);
    expect(junit.stdout).toMatch(
      /<testcase classname="switchyard.policy.production" name="image-tag-immutable">\s*<failure message="4 findings" type="error">/,
    );
  });

  it('exits 3 on warnings only, and 0 with --fail-on error', async () => {
    const texts = baseTexts();
    texts['services/api.yaml'] = setIn(texts['services/api.yaml'] as string, 'probes.liveness', { path: '/ready' });
    const dir = await writeConfig(texts);
    const strict = await runCli(['check', dir, '--env', 'production', '-o', 'json']);
    expect(strict.code).toBe(3);
    const json = JSON.parse(strict.stdout) as { worst: string; environments: { counts: { warning: number } }[] };
    expect(json.worst).toBe('warning');
    expect(json.environments[0]?.counts.warning).toBe(4);
    const lenient = await runCli(['check', dir, '--env', 'production', '--fail-on', 'error']);
    expect(lenient.code).toBe(0);
  });

  it('refuses an unknown rule, an unknown format and a missing argument with a usage error', async () => {
    const rule = await runCli(['check', EXAMPLE, '--rule', 'no-such-rule']);
    expect(rule.code).toBe(64);
    expect(rule.stderr).toContain('SWY_POLICY_UNKNOWN_RULE');
    const format = await runCli(['check', EXAMPLE, '-o', 'xml']);
    expect(format.code).toBe(64);
    expect(format.stderr).toMatch(/SWY_CLI_USAGE.*xml/);
    const missing = await runCli(['render', EXAMPLE]);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toMatch(/SWY_CLI_USAGE: required option '-e, --env <env>' not specified/);
    const unknown = await runCli(['deplyo']);
    expect(unknown.code).toBe(64);
  });

  it('names a configuration directory that does not exist', async () => {
    const r = await runCli(['validate', 'examples/nowhere']);
    expect(r.code).toBe(66);
    expect(r.stderr).toContain('SWY_SPEC_DIR_NOT_FOUND: The configuration directory examples/nowhere does not exist');
  });
});

/** Runs a shell pipeline with the built CLI as `switchyard`; stderr ends with the CLI's exit status. */
function pipeline(script: string): Promise<CliResult> {
  const shell = `switchyard() { "${process.execPath}" "${CLI}" "$@"; }; ${script}; echo "exit \${PIPESTATUS[0]}" >&2`;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', shell], { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Runs the built CLI with its standard output already closed, as when the reader of a pipe left before it wrote. */
function withoutReader(args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: '', stderr }));
  });
}

describe.concurrent('switchyard when the reader of its output goes away', () => {
  it.each([
    ['validate', EXAMPLE],
    ['render', EXAMPLE, '--env', 'production'],
    ['check', EXAMPLE],
  ])('%s exits 141 without a word when its stdout is closed', async (...args: string[]) => {
    const r = await withoutReader(args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(141);
  });

  it('render | head -1 prints the first line, and render exits quietly', async () => {
    const r = await pipeline(`switchyard render ${EXAMPLE} --env production | head -1`);
    expect(r.stdout).toBe(`${readFileSync(join(REPO_ROOT, 'test/golden/production.yaml'), 'utf8').split('\n')[0]}\n`);
    expect(r.stderr).toMatch(/^exit (0|141)\n$/);
  });

  it('validate | head -1 prints the first line, and validate exits quietly', async () => {
    const r = await pipeline(`switchyard validate ${EXAMPLE} | head -1`);
    expect(r.stdout).toBe('✔ production (kubernetes): 4 services, 1 worker valid\n');
    expect(r.stderr).toMatch(/^exit (0|141)\n$/);
  });
});
