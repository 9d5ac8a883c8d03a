import { describe, expect, it } from 'vitest';
import { locateFields, parseConfig } from '../spec/index.js';
import { baseTexts, deleteIn, objectsOf, setIn, type Texts } from '../../test/support/config.js';
import { sarifSchemaErrors } from '../../test/support/sarif.js';
import { formatReports, RULES, runPolicy, type PolicyReport } from './index.js';

/** Report formats as the tools they are fed to read them: SARIF by its schema and code scanning, JUnit by CI. */

function reportOf(texts: Texts): PolicyReport {
  return runPolicy(
    'production',
    'kubernetes',
    objectsOf(texts),
    RULES,
    locateFields(parseConfig('config', texts), 'production'),
  );
}

/** An error (a mutable tag on every track), a warning (one probe for both), an exempted warning (no node pool class). */
function troubled(): Texts {
  const texts = baseTexts();
  let api = setIn(texts['services/api.yaml'] as string, 'version', 'latest');
  api = setIn(api, 'probes.liveness', { path: '/ready' });
  texts['services/api.yaml'] = api;
  texts['services/encoder.yaml'] = deleteIn(texts['services/encoder.yaml'] as string, 'nodePool');
  texts['environments/production.yaml'] = setIn(
    texts['environments/production.yaml'] as string,
    'services.encoder.policy.exempt',
    { 'node-pool-class': 'encodes run on whatever nodes are free' },
  );
  return texts;
}

interface SarifLog {
  runs: {
    tool: {
      driver: {
        informationUri?: string;
        rules: { id: string; help: { text: string; markdown: string }; helpUri?: string }[];
      };
    };
    originalUriBaseIds?: Record<string, { uri: string }>;
    results: {
      ruleId: string;
      suppressions?: { kind: string; justification: string }[];
      locations: {
        physicalLocation?: {
          artifactLocation: { uri: string; uriBaseId?: string };
          region?: { startLine: number; startColumn: number };
        };
      }[];
    }[];
  }[];
}

describe('SARIF', () => {
  const texts = troubled();
  const report = reportOf(texts);
  const log = JSON.parse(
    formatReports([report], 'sarif', {
      sourceRoot: { uri: 'file:///srv/fleet%20config/', dir: 'deploy/video platform/' },
      docs: 'file:///opt/switchyard/docs/policy/',
    }),
  ) as SarifLog;
  const run = log.runs[0]!;

  it('is valid against the SARIF 2.1.0 schema, which refuses a broken log', () => {
    expect(sarifSchemaErrors(log)).toEqual([]);
    const broken = structuredClone(log);
    broken.runs[0]!.results[0]!.locations[0]!.physicalLocation!.region!.startLine = 0;
    expect(sarifSchemaErrors(broken)).toEqual([
      '/runs/0/results/0/locations/0/physicalLocation/region/startLine must be >= 1',
    ]);
  });

  it('places each result on the line and column of the field, relative to the repository root', () => {
    const tag = run.results.find((r) => r.ruleId === 'image-tag-immutable');
    expect(tag?.locations[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: 'deploy/video%20platform/services/api.yaml', uriBaseId: 'SRCROOT' },
      region: { startLine: 9, startColumn: 1 },
    });
    expect(run.originalUriBaseIds?.SRCROOT?.uri).toBe('file:///srv/fleet%20config/');
    const exempted = run.results.find((r) => r.ruleId === 'node-pool-class');
    expect(exempted?.suppressions).toEqual([
      { kind: 'inSource', justification: 'encodes run on whatever nodes are free' },
    ]);
    expect(run.results.every((r) => r.locations[0]?.physicalLocation?.region?.startLine)).toBe(true);
  });

  it('gives every rule its help (what, why, fix, exemption) and its docs page', () => {
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(RULES.map((r) => r.id));
    for (const rule of RULES) {
      const described = run.tool.driver.rules.find((r) => r.id === rule.id)!;
      for (const help of [described.help.text, described.help.markdown]) {
        expect(help).toContain(rule.title);
        expect(help).toContain(rule.rationale);
        expect(help).toContain(rule.remedy);
        expect(help).toContain(`policy:\n  exempt:\n    ${rule.id}: "why this service may break the rule"`);
      }
      expect(described.help.markdown).toContain(
        `[docs/policy/${rule.id}.md](file:///opt/switchyard/docs/policy/${rule.id}.md)`,
      );
      expect(described.helpUri).toBe(`file:///opt/switchyard/docs/policy/${rule.id}.md`);
    }
    expect(run.tool.driver.informationUri).toBe('file:///opt/switchyard/docs/policy/README.md');
  });

  it('without a source root or docs, names files relative to the configuration and no page', () => {
    const bare = JSON.parse(formatReports([report], 'sarif')) as SarifLog;
    expect(sarifSchemaErrors(bare)).toEqual([]);
    const first = bare.runs[0]!;
    expect(first.originalUriBaseIds).toBeUndefined();
    expect(first.results[0]?.locations[0]?.physicalLocation?.artifactLocation).toEqual({ uri: 'services/api.yaml' });
    expect(first.tool.driver.rules.some((r) => r.helpUri !== undefined)).toBe(false);
    expect(first.tool.driver.rules[0]?.help.text).toContain(
      'docs/policy/resources-set.md in the Switchyard repository',
    );
  });
});

describe('JUnit', () => {
  const report = reportOf(troubled());
  const testcase = (xml: string, rule: string) =>
    new RegExp(`<testcase classname="switchyard\\.policy\\.production" name="${rule}">([\\s\\S]*?)</testcase>`).exec(
      xml,
    )?.[1] ?? '(no such test case)';

  it('fails a rule on the findings that fail the run, and passes warnings below --fail-on with them in system-out', () => {
    const xml = formatReports([report], 'junit', { failOn: 'error' });
    expect(xml).toContain(`<testsuite name="production" tests="${RULES.length}" failures="1" errors="0" skipped="0">`);
    expect(testcase(xml, 'image-tag-immutable')).toMatch(
      /^\s*<failure message="4 findings" type="error">container api of Deployment api-free uses the mutable tag latest — fix: /,
    );
    expect(testcase(xml, 'image-tag-immutable')).toContain('(at services/api.yaml:9:1)');
    const differ = testcase(xml, 'probes-differ');
    expect(differ).not.toContain('<failure');
    expect(differ).toMatch(/<system-out>warning: container api of Deployment api-\w+ uses the same probe/);
    expect(differ.match(/warning: container api/g)).toHaveLength(4);
    expect(testcase(xml, 'node-pool-class')).toMatch(
      /^\s*<system-out>exempted \(encodes run on whatever nodes are free\): Deployment encoder does not name a node pool class — fix: .* \(at services\/encoder\.yaml:1:1\)$/m,
    );
    expect(testcase(xml, 'resources-set')).toBe('');
  });

  it('fails warnings too with --fail-on warning, as the exit code does', () => {
    const xml = formatReports([report], 'junit', { failOn: 'warning' });
    expect(xml).toContain(`failures="2"`);
    expect(testcase(xml, 'probes-differ')).toMatch(/^\s*<failure message="4 findings" type="warning">/);
    expect(testcase(xml, 'probes-differ')).not.toContain('<system-out>');
    expect(testcase(xml, 'node-pool-class')).not.toContain('<failure');
  });
});
