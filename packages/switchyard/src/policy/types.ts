import type { KubeObject } from '../render/index.js';
import type { ConfigField, Place } from '../spec/index.js';

export type Severity = 'error' | 'warning' | 'info';

export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 0, warning: 1, error: 2 };

/** What one rule found wrong with one object. */
export interface Violation {
  readonly object: KubeObject;
  readonly message: string;
  /** How to fix it, in the words of the service file where possible. */
  readonly fix: string;
  /** The field the fix changes; the unit's own description when the rule names none. */
  readonly field?: ConfigField;
}

export interface PolicyContext {
  /** Every object of the environment, so rules can look across objects (PDB ↔ Deployment). */
  readonly objects: readonly KubeObject[];
  /** Where the objects run: some rules only matter on a cluster. */
  readonly runtime: 'local' | 'kubernetes';
}

export interface Rule {
  /** Stable id, used in exemptions (`policy.exempt.<id>`) and in reports. */
  readonly id: string;
  readonly severity: Severity;
  readonly title: string;
  /** Why the rule exists: what goes wrong in production without it. */
  readonly rationale: string;
  /** How to satisfy it, in the words of the configuration files; each violation's `fix` says it for one object. */
  readonly remedy: string;
  check(context: PolicyContext): Violation[];
}

/** One violation as reported, with where it came from and whether it was exempted. */
export interface Finding {
  readonly rule: string;
  readonly severity: Severity;
  readonly title: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly service?: string;
  /** The spec file the object was rendered from. */
  readonly source?: string;
  readonly message: string;
  readonly fix: string;
  /** Set when the object is exempted from the rule; the finding does not count. */
  readonly exemption?: string;
  /** Where the field to change is written (file relative to the configuration directory), when the files are at hand. */
  readonly location?: Place;
}

export interface PolicyReport {
  readonly environment: string;
  readonly rules: readonly Rule[];
  readonly objects: number;
  readonly findings: readonly Finding[];
}
