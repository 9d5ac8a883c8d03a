import { VERSION } from '../version.js';
import { failsRun, worstSeverity } from './run.js';
import type { Finding, PolicyReport, Rule, Severity } from './types.js';

export const FORMATS = ['human', 'json', 'sarif', 'junit'] as const;
export type Format = (typeof FORMATS)[number];

const ICON: Readonly<Record<Severity, string>> = { error: '✖', warning: '⚠', info: 'ℹ' };

function counts(findings: readonly Finding[]): Record<Severity | 'exempted', number> {
  const out = { error: 0, warning: 0, info: 0, exempted: 0 };
  for (const f of findings) {
    if (f.exemption) out.exempted++;
    else out[f.severity]++;
  }
  return out;
}

/** Findings of one rule with the same fix and exemption, kept in report order. */
function groupByRule(findings: readonly Finding[]): Finding[][] {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = `${f.rule}\u0000${f.fix}\u0000${f.exemption ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  return [...groups.values()];
}

export function formatHuman(reports: readonly PolicyReport[]): string {
  const lines: string[] = [];
  for (const report of reports) {
    const c = counts(report.findings);
    lines.push(
      `${report.environment}: ${report.objects} objects, ${report.rules.length} rules — ${c.error} error${c.error === 1 ? '' : 's'}, ${c.warning} warning${c.warning === 1 ? '' : 's'}, ${c.info} info, ${c.exempted} exempted`,
    );
    const byService = new Map<string, Finding[]>();
    for (const f of report.findings) {
      const key = f.service ?? '(other)';
      byService.set(key, [...(byService.get(key) ?? []), f]);
    }
    for (const [service, findings] of [...byService].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`  ${service}${findings[0]?.source ? ` (${findings[0].source})` : ''}`);
      for (const group of groupByRule(findings)) {
        const f = group[0] as Finding;
        const objects = group.map((g) => `${g.kind} ${g.name}`);
        if (f.exemption) {
          lines.push(`    – ${f.rule}: exempted (${f.exemption}): ${objects.join(', ')}`);
        } else if (group.length > 3) {
          lines.push(
            `    ${ICON[f.severity]} ${f.severity} ${f.rule}: ${f.title} — ${group.length} objects: ${objects.join(', ')}\n      fix: ${f.fix}`,
          );
        } else {
          for (const g of group)
            lines.push(`    ${ICON[g.severity]} ${g.severity} ${g.rule}: ${g.message}\n      fix: ${g.fix}`);
        }
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

export function formatJson(reports: readonly PolicyReport[]): string {
  return `${JSON.stringify(
    {
      worst: worstSeverity(reports.flatMap((r) => r.findings)) ?? null,
      environments: reports.map((r) => ({
        environment: r.environment,
        objects: r.objects,
        counts: counts(r.findings),
        findings: r.findings,
      })),
    },
    null,
    2,
  )}\n`;
}

const SARIF_LEVEL: Readonly<Record<Severity, string>> = { error: 'error', warning: 'warning', info: 'note' };

/** What the formats need beyond the reports: the command line's threshold and where the files are. */
export interface FormatOptions {
  /** The lowest severity that fails the run (`check --fail-on`, warning by default). */
  readonly failOn?: Exclude<Severity, 'info'>;
  /**
   * Where SARIF artifact URIs start: `uri`, an absolute URI ending in `/` (the work tree of the git
   * repository holding the configuration, else the current directory), and `dir`, the
   * configuration directory relative to it (empty or ending in `/`).
   */
  readonly sourceRoot?: { readonly uri: string; readonly dir: string };
  /** The URL of the directory of the policy pages (`docs/policy/`, ending in `/`), when they are at hand. */
  readonly docs?: string;
}

/** The base id SARIF consumers (GitHub code scanning among them) resolve against the repository's root. */
const SOURCE_ROOT = 'SRCROOT';

function artifactLocation(file: string, root: FormatOptions['sourceRoot']): { uri: string; uriBaseId?: string } {
  const uri = `${root?.dir ?? ''}${file}`.split('/').map(encodeURIComponent).join('/');
  return root ? { uri, uriBaseId: SOURCE_ROOT } : { uri };
}

function physicalLocation(f: Finding, root: FormatOptions['sourceRoot']) {
  const file = f.location?.file ?? f.source;
  if (!file) return {};
  return {
    physicalLocation: {
      artifactLocation: artifactLocation(file, root),
      ...(f.location ? { region: { startLine: f.location.line, startColumn: f.location.column } } : {}),
    },
  };
}

/** A rule's help as code scanning shows it beside each result: what, why, how to fix, how to exempt. */
function ruleHelp(rule: Rule, page: string | undefined): { text: string; markdown: string } {
  const exempt = `policy:\n  exempt:\n    ${rule.id}: "why this service may break the rule"`;
  const more = `docs/policy/${rule.id}.md`;
  return {
    text: [
      `${rule.title} (${rule.severity}).`,
      rule.rationale,
      `Fix: ${rule.remedy} Each result names the field to change.`,
      `Exempt a service by giving the reason in its service file, or in an environment's overlay of it:\n${exempt}`,
      `More: ${page ?? `${more} in the Switchyard repository`}`,
    ].join('\n\n'),
    markdown: [
      `**${rule.title}** (${rule.severity})`,
      rule.rationale,
      `**Fix:** ${rule.remedy} Each result names the field to change.`,
      `**Exempt** a service by giving the reason in its service file, or in an environment's overlay of it:\n\n\`\`\`yaml\n${exempt}\n\`\`\``,
      `More: ${page ? `[${more}](${page})` : `\`${more}\` in the Switchyard repository`}`,
    ].join('\n\n'),
  };
}

/**
 * SARIF 2.1.0, so code scanning shows each finding on the line of the file that sets the field:
 * URIs are relative to the repository's root (SRCROOT), regions name the line and column.
 */
export function formatSarif(reports: readonly PolicyReport[], options: FormatOptions = {}): string {
  const rules: readonly Rule[] = reports[0]?.rules ?? [];
  const root = options.sourceRoot;
  const results = reports.flatMap((r) =>
    r.findings.map((f) => ({
      ruleId: f.rule,
      level: SARIF_LEVEL[f.severity],
      message: { text: `${f.message} (${r.environment}). Fix: ${f.fix}` },
      locations: [
        {
          ...physicalLocation(f, root),
          logicalLocations: [
            {
              name: f.name,
              kind: 'object',
              fullyQualifiedName: `${r.environment}/${f.namespace ?? 'default'}/${f.kind}/${f.name}`,
            },
          ],
        },
      ],
      ...(f.exemption ? { suppressions: [{ kind: 'inSource', justification: f.exemption }] } : {}),
    })),
  );
  const page = (id: string) => (options.docs ? `${options.docs}${id}.md` : undefined);
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'switchyard',
            version: VERSION,
            ...(options.docs ? { informationUri: `${options.docs}README.md` } : {}),
            rules: rules.map((rule) => ({
              id: rule.id,
              name: rule.id,
              shortDescription: { text: rule.title },
              fullDescription: { text: rule.rationale },
              defaultConfiguration: { level: SARIF_LEVEL[rule.severity] },
              help: ruleHelp(rule, page(rule.id)),
              ...(page(rule.id) ? { helpUri: page(rule.id) } : {}),
            })),
          },
        },
        ...(root
          ? {
              originalUriBaseIds: {
                [SOURCE_ROOT]: {
                  uri: root.uri,
                  description: { text: 'The root of the repository holding the configuration' },
                },
              },
            }
          : {}),
        results,
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

function xml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function where(f: Finding): string {
  const at = f.location ? `${f.location.file}:${f.location.line}:${f.location.column}` : f.source;
  return at ? ` (at ${at})` : '';
}

/**
 * JUnit XML: one suite per environment, one test case per rule. A test fails on the findings that
 * fail the run (as the exit code does); the others (warnings below `--fail-on`, info, exemptions)
 * pass with their findings in <system-out>: CI systems count a passed test as passed and show its
 * output on the test's page, where a skipped one would read as a rule that never ran.
 */
export function formatJunit(reports: readonly PolicyReport[], options: FormatOptions = {}): string {
  const failOn = options.failOn ?? 'warning';
  const suites = reports.map((r) => {
    let failures = 0;
    const cases = r.rules.map((rule) => {
      const found = r.findings.filter((f) => f.rule === rule.id);
      const failing = found.filter((f) => failsRun(f, failOn));
      const passing = found.filter((f) => !failsRun(f, failOn));
      if (failing.length > 0) failures++;
      const failure =
        failing.length === 0
          ? ''
          : `\n      <failure message="${xml(`${failing.length} finding${failing.length === 1 ? '' : 's'}`)}" type="${rule.severity}">${xml(failing.map((f) => `${f.message} — fix: ${f.fix}${where(f)}`).join('\n'))}</failure>`;
      const output =
        passing.length === 0
          ? ''
          : `\n      <system-out>${xml(passing.map((f) => `${f.exemption ? `exempted (${f.exemption})` : f.severity}: ${f.message} — fix: ${f.fix}${where(f)}`).join('\n'))}</system-out>`;
      const body = failure || output ? `${failure}${output}\n    ` : '';
      return `    <testcase classname="switchyard.policy.${xml(r.environment)}" name="${xml(rule.id)}">${body}</testcase>`;
    });
    return `  <testsuite name="${xml(r.environment)}" tests="${r.rules.length}" failures="${failures}" errors="0" skipped="0">\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="switchyard check">\n${suites.join('\n')}\n</testsuites>\n`;
}

export function formatReports(reports: readonly PolicyReport[], format: Format, options: FormatOptions = {}): string {
  switch (format) {
    case 'human':
      return formatHuman(reports);
    case 'json':
      return formatJson(reports);
    case 'sarif':
      return formatSarif(reports, options);
    case 'junit':
      return formatJunit(reports, options);
  }
}
