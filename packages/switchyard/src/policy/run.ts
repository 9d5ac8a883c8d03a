import { ANNOTATION, LABEL, type KubeObject } from '../render/index.js';
import type { ConfigField, LocateField } from '../spec/index.js';
import { RULES } from './rules/index.js';
import {
  SEVERITY_RANK,
  type Finding,
  type PolicyContext,
  type PolicyReport,
  type Rule,
  type Severity,
} from './types.js';

/** The reason an object is exempted from a rule, from its `policy.switchyard.dev/<rule>` annotation. */
export function exemption(object: KubeObject, rule: string): string | undefined {
  const reason = object.metadata.annotations?.[`${ANNOTATION.exemptPrefix}${rule}`]?.trim();
  return reason ? reason : undefined;
}

/** A rule that names no field points at the top of the unit's description. */
const WHOLE_UNIT: ConfigField = { file: 'unit', paths: [[]] };

/** Runs `rules` on one environment's objects; `locate` places each finding in the configuration's files. */
export function runPolicy(
  environment: string,
  runtime: PolicyContext['runtime'],
  objects: readonly KubeObject[],
  rules: readonly Rule[] = RULES,
  locate?: LocateField,
): PolicyReport {
  const findings: Finding[] = [];
  for (const rule of rules) {
    for (const violation of rule.check({ objects, runtime })) {
      const o = violation.object;
      const reason = exemption(o, rule.id);
      const location = locate?.(o.metadata.labels?.[LABEL.service], violation.field ?? WHOLE_UNIT);
      findings.push({
        rule: rule.id,
        severity: rule.severity,
        title: rule.title,
        kind: o.kind,
        name: o.metadata.name,
        ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
        ...(o.metadata.labels?.[LABEL.service] ? { service: o.metadata.labels[LABEL.service] } : {}),
        ...(o.metadata.annotations?.[ANNOTATION.source] ? { source: o.metadata.annotations[ANNOTATION.source] } : {}),
        message: violation.message,
        fix: violation.fix,
        ...(reason ? { exemption: reason } : {}),
        ...(location ? { location } : {}),
      });
    }
  }
  return { environment, rules, objects: objects.length, findings };
}

/** Whether a finding makes `check --fail-on <failOn>` fail: it counts and is at least that severe. */
export function failsRun(finding: Finding, failOn: Severity): boolean {
  return !finding.exemption && SEVERITY_RANK[finding.severity] >= SEVERITY_RANK[failOn];
}

/** The worst severity among findings that count (not exempted); undefined when there are none. */
export function worstSeverity(findings: readonly Finding[]): Severity | undefined {
  let worst: Severity | undefined;
  for (const f of findings) {
    if (f.exemption) continue;
    if (worst === undefined || SEVERITY_RANK[f.severity] > SEVERITY_RANK[worst]) worst = f.severity;
  }
  return worst;
}

export function findRule(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
