import { VERSION } from '../version.js';
import { worstSeverity } from './run.js';
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

/** SARIF 2.1.0, so code scanning shows each finding on the service file it comes from. */
export function formatSarif(reports: readonly PolicyReport[]): string {
  const rules: readonly Rule[] = reports[0]?.rules ?? [];
  const results = reports.flatMap((r) =>
    r.findings.map((f) => ({
      ruleId: f.rule,
      level: SARIF_LEVEL[f.severity],
      message: { text: `${f.message} (${r.environment}). Fix: ${f.fix}` },
      locations: [
        {
          ...(f.source ? { physicalLocation: { artifactLocation: { uri: f.source } } } : {}),
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
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'switchyard',
            version: VERSION,
            informationUri: 'https://switchyard.dev/docs/policy',
            rules: rules.map((rule) => ({
              id: rule.id,
              name: rule.id,
              shortDescription: { text: rule.title },
              fullDescription: { text: rule.rationale },
              defaultConfiguration: { level: SARIF_LEVEL[rule.severity] },
              helpUri: `https://switchyard.dev/docs/policy#${rule.id}`,
            })),
          },
        },
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

/** JUnit XML: one suite per environment, one test case per rule, failed when the rule found something. */
export function formatJunit(reports: readonly PolicyReport[]): string {
  const suites = reports.map((r) => {
    const cases = r.rules.map((rule) => {
      const failing = r.findings.filter((f) => f.rule === rule.id && !f.exemption && f.severity !== 'info');
      const body =
        failing.length === 0
          ? ''
          : `\n      <failure message="${xml(`${failing.length} finding${failing.length === 1 ? '' : 's'}`)}" type="${rule.severity}">${xml(failing.map((f) => `${f.message} — fix: ${f.fix}`).join('\n'))}</failure>\n    `;
      return `    <testcase classname="switchyard.policy.${xml(r.environment)}" name="${xml(rule.id)}">${body}</testcase>`;
    });
    const failures = r.rules.filter((rule) =>
      r.findings.some((f) => f.rule === rule.id && !f.exemption && f.severity !== 'info'),
    ).length;
    return `  <testsuite name="${xml(r.environment)}" tests="${r.rules.length}" failures="${failures}" errors="0" skipped="0">\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="switchyard check">\n${suites.join('\n')}\n</testsuites>\n`;
}

export function formatReports(reports: readonly PolicyReport[], format: Format): string {
  switch (format) {
    case 'human':
      return formatHuman(reports);
    case 'json':
      return formatJson(reports);
    case 'sarif':
      return formatSarif(reports);
    case 'junit':
      return formatJunit(reports);
  }
}
