import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli, writeConfig } from '../../test/support/cli.js';
import { baseTexts, setIn, type Texts } from '../../test/support/config.js';
import { sarifSchemaErrors } from '../../test/support/sarif.js';

/** `check`'s reports as code scanning and CI read them, from the built CLI. */

interface SarifLog {
  runs: {
    tool: { driver: { rules: { id: string; helpUri?: string; help?: { text: string } }[] } };
    originalUriBaseIds?: Record<string, { uri: string }>;
    results: {
      ruleId: string;
      locations: {
        physicalLocation?: {
          artifactLocation: { uri: string; uriBaseId?: string };
          region?: { startLine: number; startColumn?: number };
        };
      }[];
    }[];
  }[];
}

/** A mutable tag: an error on every track, set on line 9 of services/api.yaml. */
function troubled(): Texts {
  const texts = baseTexts();
  texts['services/api.yaml'] = setIn(texts['services/api.yaml'] as string, 'version', 'latest');
  return texts;
}

async function writeTexts(dir: string, texts: Texts): Promise<void> {
  for (const [path, text] of Object.entries(texts)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

describe.concurrent('switchyard check -o sarif', () => {
  it('names files from the root of the git work tree holding the configuration, wherever it runs', async () => {
    const repo = await mkdtemp(join(tmpdir(), 'switchyard-repo-'));
    execFileSync('git', ['init', '--quiet', repo]);
    const config = join(repo, 'deploy', 'video platform');
    await writeTexts(config, troubled());
    const r = await runCli(['check', config, '--env', 'production', '-o', 'sarif'], { cwd: tmpdir() });
    expect(r.code, r.stderr).toBe(4);
    const log = JSON.parse(r.stdout) as SarifLog;
    expect(sarifSchemaErrors(log)).toEqual([]);
    const run = log.runs[0]!;
    expect(run.originalUriBaseIds?.SRCROOT?.uri).toBe(pathToFileURL(`${realpathSync(repo)}/`).href);
    const tag = run.results.find((result) => result.ruleId === 'image-tag-immutable');
    expect(tag?.locations[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: 'deploy/video%20platform/services/api.yaml', uriBaseId: 'SRCROOT' },
      region: { startLine: 9, startColumn: 1 },
    });
  });

  it('outside git, names files from the current directory', async () => {
    const config = await writeConfig(troubled());
    const r = await runCli(['check', config, '--env', 'production', '-o', 'sarif'], { cwd: dirname(config) });
    const run = (JSON.parse(r.stdout) as SarifLog).runs[0]!;
    expect(run.originalUriBaseIds?.SRCROOT?.uri).toBe(pathToFileURL(`${realpathSync(dirname(config))}/`).href);
    expect(run.results[0]?.locations[0]?.physicalLocation?.artifactLocation).toEqual({
      uri: `${basename(config)}/services/api.yaml`,
      uriBaseId: 'SRCROOT',
    });
  });

  it("points every rule's helpUri at its page in this checkout's docs/policy", async () => {
    const r = await runCli(['check', 'examples/video-platform', '--env', 'production', '-o', 'sarif']);
    expect(r.code, r.stderr).toBe(0);
    const log = JSON.parse(r.stdout) as SarifLog;
    expect(sarifSchemaErrors(log)).toEqual([]);
    const rules = log.runs[0]!.tool.driver.rules;
    expect(rules).toHaveLength(21);
    for (const rule of rules) {
      const page = fileURLToPath(rule.helpUri ?? 'file:///missing');
      expect(page).toBe(join(REPO_ROOT, 'docs/policy', `${rule.id}.md`));
      expect(existsSync(page)).toBe(true);
      expect(rule.help?.text).toContain(`${rule.id}: "why this service may break the rule"`);
    }
  });
});

describe.concurrent('switchyard check -o junit', () => {
  it('passes a warning below --fail-on with the finding in its output, as the exit code does', async () => {
    const texts = baseTexts();
    texts['services/api.yaml'] = setIn(texts['services/api.yaml'] as string, 'probes.liveness', { path: '/ready' });
    const dir = await writeConfig(texts);
    const lenient = await runCli(['check', dir, '--env', 'production', '-o', 'junit', '--fail-on', 'error']);
    expect(lenient.code, lenient.stderr).toBe(0);
    expect(lenient.stdout).toContain('<testsuite name="production" tests="21" failures="0" errors="0" skipped="0">');
    expect(lenient.stdout).toMatch(
      /<testcase classname="switchyard.policy.production" name="probes-differ">\s*<system-out>warning: container api of Deployment api-free uses the same probe for readiness and liveness — fix: .* \(at services\/api\.yaml:\d+:\d+\)\n/,
    );
    expect(lenient.stdout).not.toContain('<failure');
    const strict = await runCli(['check', dir, '--env', 'production', '-o', 'junit']);
    expect(strict.code).toBe(3);
    expect(strict.stdout).toMatch(
      /<testcase classname="switchyard.policy.production" name="probes-differ">\s*<failure message="4 findings" type="warning">/,
    );
  });
});
