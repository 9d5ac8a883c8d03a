import type { AlertInput, AuditInput, RuntimeInput, SilenceInput, TimelineEntry, TimelineWindow } from './types.js';

const inWindow = (at: string, w: TimelineWindow) => {
  const t = Date.parse(at);
  return t >= w.since.getTime() && t < w.until.getTime();
};

/** A notification: what fired (or resolved), and which receivers took it. */
export function alertEntry(n: AlertInput): TimelineEntry {
  const findings = n.findings.map((f) => `${f.check} ${f.part} (${f.severity})`).join(', ');
  const took = n.deliveries.filter((d) => d.deliveredAt).map((d) => d.receiver);
  const lost = n.deliveries.filter((d) => d.droppedAt).map((d) => d.receiver);
  const waiting = n.deliveries.filter((d) => !d.deliveredAt && !d.droppedAt).map((d) => d.receiver);
  const told = [
    took.length ? `told ${took.join(', ')}` : '',
    waiting.length ? `waiting for ${waiting.join(', ')}` : '',
    lost.length ? `dropped for ${lost.join(', ')}` : '',
  ].filter(Boolean);
  return {
    id: `alert:${n.id}`,
    at: n.at,
    kind: 'alert',
    service: n.service,
    who: 'switchyard',
    text: `${n.status === 'firing' ? 'alert firing' : 'alert resolved'}: ${findings || 'no findings'}${told.length ? `; ${told.join('; ')}` : ''}`,
    ref: `${n.environment}/${n.service}`,
  };
}

/** A silence's creation and its end, those inside the window; one entry per service it names (or one for all). */
export function silenceEntries(s: SilenceInput, window: TimelineWindow, service?: string): TimelineEntry[] {
  if (service !== undefined && s.services !== undefined && !s.services.includes(service)) return [];
  const matches = `services ${s.services?.join(',') ?? '*'}, checks ${s.checks?.join(',') ?? '*'}`;
  const ended = s.expiredAt && Date.parse(s.expiredAt) < Date.parse(s.expiresAt) ? s.expiredAt : s.expiresAt;
  const one = s.services?.length === 1 ? (s.services[0] as string) : null;
  const entries: TimelineEntry[] = [];
  if (inWindow(s.createdAt, window))
    entries.push({
      id: `silence:${s.id}:created`,
      at: s.createdAt,
      kind: 'silence',
      service: one,
      who: s.author,
      text: `silence created (${matches}) until ${s.expiresAt}: ${s.reason}`,
      ref: s.id,
    });
  if (inWindow(ended, window))
    entries.push({
      id: `silence:${s.id}:ended`,
      at: ended,
      kind: 'silence',
      service: one,
      who: ended === s.expiredAt ? (s.expiredBy ?? 'switchyard') : 'switchyard',
      text: ended === s.expiredAt ? `silence expired by hand (${matches})` : `silence expired (${matches})`,
      ref: s.id,
    });
  return entries;
}

/** Writes a release's or a silence's own rows tell better: their audit entries are left out unless refused or failed. */
const TOLD_ELSEWHERE = /^(release\.|silence\.|service\.rollback$)/;

/** The service an audited write is about, when it names one. */
export function auditService(a: Pick<AuditInput, 'details' | 'target'>): string | null {
  const body = a.details['body'];
  const named =
    a.details['service'] ??
    (typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['service'] : undefined);
  if (typeof named === 'string') return named;
  const inPath = /^\/v1\/services\/([^/]+)/.exec(a.target);
  return inPath ? decodeURIComponent(inPath[1] as string) : null;
}

/** An audited write (a configuration commit taken, a traffic or track change, a token): who did what. */
export function auditEntry(a: AuditInput): TimelineEntry | undefined {
  if (TOLD_ELSEWHERE.test(a.action) && (a.outcome === 'allowed' || a.outcome === 'succeeded')) return undefined;
  if (a.action === 'api.authenticate') return undefined;
  const commit = a.action.startsWith('config.') && /^[0-9a-f]{7,40}$/.test(a.target) ? a.target : null;
  return {
    id: `audit:${a.seq}`,
    at: a.at.toISOString(),
    kind: 'change',
    service: auditService(a),
    who: a.actor,
    text: `${a.action} ${a.target} (${a.outcome})${a.reason ? `: ${a.reason}` : ''}`,
    ref: commit ?? /^\/v1\/releases\/([^/]+)/.exec(a.target)?.[1] ?? null,
  };
}

/** Scaling and failures the runtime reported. */
export function runtimeEntry(e: RuntimeInput): TimelineEntry {
  return {
    id: `runtime:${e.seq}`,
    at: e.at.toISOString(),
    kind: 'runtime',
    service: e.service,
    who: 'switchyard',
    text: e.text,
    ref: null,
  };
}
