import { byWorstFirst, findingKey, type Finding, type HealthReport } from '../health/index.js';
import { ruleFor } from './rules.js';
import type { AlertsConfig, AlertState, GroupState, Notification, Silence, SilenceMatchers } from './types.js';

/** Everything one step reads: the environment's health now, its alerting, the silences, the time. */
export interface AlertInput {
  readonly report: HealthReport;
  readonly config: Pick<AlertsConfig, 'rules' | 'repeatMs'>;
  readonly silences: readonly Silence[];
  readonly now: Date;
}

type Firing = Notification['findings'][number];

/** What identifies a group: the environment and the service or worker. */
export function groupKey(environment: string, service: string): string {
  return `${environment}/${service}`;
}

/** A silence mutes from its creation until it expires or someone expires it. */
export function silenceActive(silence: Silence, now: Date): boolean {
  const t = now.getTime();
  const end = Math.min(
    Date.parse(silence.expiresAt),
    silence.expiredAt ? Date.parse(silence.expiredAt) : Number.POSITIVE_INFINITY,
  );
  return Date.parse(silence.createdAt) <= t && t < end;
}

export function silenceMatches(m: SilenceMatchers, f: Pick<Firing, 'unit' | 'check'>): boolean {
  return (
    (m.services === undefined || m.services.includes(f.unit)) && (m.checks === undefined || m.checks.includes(f.check))
  );
}

/**
 * The findings that fire now: not muted by a release in progress, taken by a rule and held at least its `for`, or already notified
 * (`notified`): a restart forgets when a finding was first seen, and that must not resolve it.
 */
export function firingFindings(
  report: HealthReport,
  rules: AlertInput['config']['rules'],
  now: Date,
  notified: (f: Finding) => boolean = () => false,
): Firing[] {
  return report.findings.flatMap((f) => {
    if (f.mutedBy) return [];
    const rule = ruleFor(rules, f);
    if (!rule || (now.getTime() - Date.parse(f.since) < rule.forMs && !notified(f))) return [];
    return [{ ...f, rule: rule.name }];
  });
}

/**
 * What a group last notified that no longer fires as it was told: cleared (its key fires no
 * more, silenced ones aside: a silence mutes, it does not clear) or now of another severity.
 */
function endedSince(notified: readonly Firing[], now: readonly Firing[], firing: readonly Firing[]): Firing[] {
  const current = new Map(now.map((f) => [findingKey(f), f]));
  const stillFiring = new Set(firing.map(findingKey));
  return notified.filter((f) => {
    const key = findingKey(f);
    const same = current.get(key);
    return same ? same.severity !== f.severity : !stillFiring.has(key);
  });
}

function byService(findings: readonly Firing[]): Map<string, Firing[]> {
  const groups = new Map<string, Firing[]>();
  for (const f of findings) groups.set(f.unit, [...(groups.get(f.unit) ?? []), f]);
  return groups;
}

/**
 * One step of the alerts over one environment: which groups to notify now, and what to
 * remember. A group is notified when it first fires, when a finding joins it, leaves it or
 * changes severity (`ended` lists what was told before), and again every repeat interval while it fires; once none of its findings fires it is notified resolved (if
 * it was notified firing). Silenced findings are left out; a group whose firing findings are
 * all silenced sends nothing and keeps what it remembers, so it notifies again once the silence ends.
 */
export function step(
  state: AlertState,
  input: AlertInput,
): { readonly state: AlertState; readonly notifications: readonly Notification[] } {
  const { report, config, now } = input;
  const environment = report.environment;
  const at = now.toISOString();
  const silences = input.silences.filter((s) => s.environment === environment && silenceActive(s, now));
  const next: Record<string, GroupState> = {};
  const notifications: Notification[] = [];
  const notified = (f: Finding) => state[groupKey(environment, f.unit)]?.keys.includes(findingKey(f)) === true;
  const groups = byService(firingFindings(report, config.rules, now, notified));
  for (const [service, all] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const key = groupKey(environment, service);
    const previous = state[key];
    const findings = all.filter((f) => !silences.some((s) => silenceMatches(s, f))).sort(byWorstFirst);
    if (findings.length === 0) {
      if (previous) next[key] = previous;
      continue;
    }
    const keys = findings.map(findingKey);
    const joined = previous ? keys.some((k) => !previous.keys.includes(k)) : true;
    const due = previous !== undefined && now.getTime() - Date.parse(previous.lastSentAt) >= config.repeatMs;
    const ended = previous ? endedSince(previous.findings, findings, all) : [];
    if (joined || due || ended.length > 0) {
      notifications.push({
        status: 'firing',
        environment,
        service,
        at,
        findings,
        ...(ended.length > 0 ? { ended } : {}),
      });
      next[key] = { lastSentAt: at, keys, findings };
    } else {
      next[key] = { lastSentAt: (previous as GroupState).lastSentAt, keys, findings };
    }
  }
  for (const [key, previous] of Object.entries(state).sort(([a], [b]) => a.localeCompare(b))) {
    if (next[key] || !key.startsWith(`${environment}/`)) {
      if (!next[key]) next[key] = previous;
      continue;
    }
    const service = key.slice(environment.length + 1);
    notifications.push({ status: 'resolved', environment, service, at, findings: previous.findings });
  }
  return { state: next, notifications };
}
