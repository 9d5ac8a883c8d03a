import { leftoverFindings } from './leftover-checks.js';
import { queueFindings } from './queue-checks.js';
import { endedFindings, releaseFindings } from './release-checks.js';
import { muteByReleases } from './release-mutes.js';
import { serviceFindings } from './service-checks.js';
import {
  SEVERITIES,
  type Finding,
  type HealthInput,
  type HealthReport,
  type Observation,
  type Severity,
  type Worst,
} from './types.js';
import { receiverFindings, workerFindings } from './worker-checks.js';

/** When each finding, by its key, was first seen: what one evaluation hands the next. */
export type FirstSeen = ReadonlyMap<string, string>;

/** What identifies a finding from one evaluation to the next: its check and where (not its severity or words). */
export function findingKey(f: Pick<Observation, 'check' | 'unit' | 'part'>): string {
  return `${f.check}\u0000${f.unit}\u0000${f.part}`;
}

const rank = (s: Severity) => SEVERITIES.indexOf(s);

/** Worst first, then by unit, part and check: the same input always lists the same way. */
export function byWorstFirst(a: Finding, b: Finding): number {
  return (
    rank(a.severity) - rank(b.severity) ||
    a.unit.localeCompare(b.unit) ||
    a.part.localeCompare(b.part) ||
    a.check.localeCompare(b.check)
  );
}

export function worstOf(findings: readonly Pick<Finding, 'severity'>[]): Worst {
  return SEVERITIES.find((s) => findings.some((f) => f.severity === s)) ?? 'ok';
}

export function countsOf(findings: readonly Pick<Finding, 'severity'>[]): Record<Severity, number> {
  return Object.fromEntries(SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length])) as Record<
    Severity,
    number
  >;
}

/** The report narrowed to one service or worker. */
export function reportFor(report: HealthReport, unit: string): HealthReport & { readonly service: string } {
  const findings = report.findings.filter((f) => f.unit === unit);
  return { ...report, service: unit, worst: worstOf(findings), counts: countsOf(findings), findings };
}

/** Every check over one input, without first-seen times; what a release in progress causes itself is marked muted. */
export function observe(input: HealthInput, now: Date): Observation[] {
  return muteByReleases(
    [
      ...input.services.flatMap((s) => [...serviceFindings(input.fleet, s), ...leftoverFindings(s)]),
      ...input.workers.flatMap(workerFindings),
      ...queueFindings(input.fleet, input.workers, input.broker),
      ...releaseFindings(input.releases, now),
      ...(input.ended ?? []).flatMap(endedFindings),
      ...(input.receivers ?? []).flatMap(receiverFindings),
    ],
    input,
  );
}

/**
 * One evaluation: the findings of `input` at `now`, each with the time it was first seen
 * (kept from `previous` while it lasts; a finding that cleared starts afresh when it returns),
 * and what the next evaluation needs.
 */
export function evaluate(
  input: HealthInput,
  previous: FirstSeen,
  now: Date,
): { readonly report: HealthReport; readonly firstSeen: FirstSeen } {
  const at = now.toISOString();
  const firstSeen = new Map<string, string>();
  const findings = observe(input, now)
    .map((o): Finding => {
      const key = findingKey(o);
      const since = o.since ?? firstSeen.get(key) ?? previous.get(key) ?? at;
      firstSeen.set(key, since);
      return { ...o, since };
    })
    .sort(byWorstFirst);
  return {
    report: {
      environment: input.fleet.environment.name,
      at,
      worst: worstOf(findings),
      counts: countsOf(findings),
      findings,
    },
    firstSeen,
  };
}

/** Evaluations of one environment in a row, remembering when each finding was first seen. */
export class HealthLog {
  private firstSeen: FirstSeen = new Map();

  evaluate(input: HealthInput, now = new Date()): HealthReport {
    const { report, firstSeen } = evaluate(input, this.firstSeen, now);
    this.firstSeen = firstSeen;
    return report;
  }
}
