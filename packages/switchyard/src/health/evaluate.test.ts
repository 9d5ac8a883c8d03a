import { describe, expect, it } from 'vitest';
import { baseTexts, fleetOf } from '../../test/support/config.js';
import { evaluate, HealthLog, reportFor, worstOf } from './evaluate.js';
import { describeHealth, headline } from './summary.js';
import type { Finding, HealthInput, RunningService } from './types.js';

const fleet = fleetOf(baseTexts(), 'production');
const T0 = new Date('2026-03-02T10:00:00Z');
const later = (s: number) => new Date(T0.getTime() + s * 1000);

function api(router: number, free: number, paid = 2): RunningService {
  const track = (name: string, ready: number) => ({
    track: name,
    version: '1.0.0',
    desired: 2,
    ready,
    replicas: [0, 1].map((i) => ({
      name: `api-${name}-${i}`,
      version: '1.0.0',
      state: i < ready ? 'ready' : 'starting',
    })),
  });
  return {
    service: 'api',
    router: { desired: 4, ready: router },
    tracks: [track('internal', 2), track('free', free), track('paid', paid), track('production', 2)],
  };
}

const input = (service: RunningService): HealthInput => ({
  fleet,
  services: [service],
  workers: [{ worker: 'encoder', workerClass: 'normal', desired: 2, ready: 1, replicas: [] }],
  releases: [],
});

describe('a health evaluation', () => {
  it('orders findings worst first, then by unit, part and check, and counts them', () => {
    const { report } = evaluate(input(api(3, 0, 1)), new Map(), T0);
    expect(report.findings.map((f) => `${f.severity} ${f.unit}/${f.part} ${f.check}`)).toEqual([
      'critical api/free track-endpoints',
      'warning api/paid track-endpoints',
      'warning api/router router-replicas',
      'warning encoder/normal worker-replicas',
    ]);
    expect(report.worst).toBe('critical');
    expect(report.counts).toEqual({ critical: 1, warning: 3, info: 0 });
    expect(report.environment).toBe('production');
  });

  it('keeps when a finding was first seen while it lasts, even as its severity changes', () => {
    const log = new HealthLog();
    const first = log.evaluate(input(api(4, 1)), T0);
    const free = (r: typeof first) => r.findings.find((f) => f.part === 'free');
    expect(free(first)?.since).toBe(T0.toISOString());
    const second = log.evaluate(input(api(4, 0)), later(30));
    expect(free(second)).toMatchObject({ severity: 'critical', since: T0.toISOString() });
    expect(second.at).toBe(later(30).toISOString());
  });

  it('starts afresh when a finding comes back after it cleared', () => {
    const log = new HealthLog();
    log.evaluate(input(api(4, 1)), T0);
    const cleared = log.evaluate(input(api(4, 2)), later(10));
    expect(cleared.findings.map((f) => f.part)).toEqual(['normal']);
    const back = log.evaluate(input(api(4, 1)), later(20));
    expect(back.findings.find((f) => f.part === 'free')?.since).toBe(later(20).toISOString());
    expect(back.findings.find((f) => f.part === 'normal')?.since).toBe(T0.toISOString());
  });

  it('survives a JSON round trip', () => {
    const { report } = evaluate(input(api(3, 1)), new Map(), T0);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('narrows to one unit with its own worst severity and counts', () => {
    const { report } = evaluate(input(api(4, 1)), new Map(), T0);
    const encoder = reportFor(report, 'encoder');
    expect(encoder).toMatchObject({
      service: 'encoder',
      worst: 'warning',
      counts: { critical: 0, warning: 1, info: 0 },
    });
    expect(reportFor(report, 'nothing-here')).toMatchObject({ worst: 'ok', findings: [] });
  });

  it('says ok when nothing is found', () => {
    expect(worstOf([])).toBe('ok');
    expect(worstOf([{ severity: 'info' }, { severity: 'warning' }])).toBe('warning');
    expect(headline({ worst: 'ok', counts: { critical: 0, warning: 0, info: 0 } })).toBe('✔ healthy');
  });

  it('reads in one screen: a headline, a line per finding with its runbook command, what to do about the worst', () => {
    const { report } = evaluate(input(api(4, 0)), new Map(), T0);
    const text = describeHealth(report, later(90));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('production: ✖ critical: 1 critical, 1 warning');
    expect(lines[1]).toMatch(/^ {2}✖ critical +api\/free +track-endpoints +90s {2}api\/free has no ready endpoint/);
    expect(lines[2]).toBe('      runbook: switchyard runbook track-endpoints');
    expect(lines[3]).toMatch(/^ {2}⚠ warning +encoder\/normal +worker-replicas/);
    expect(lines[4]).toBe('      runbook: switchyard runbook worker-replicas');
    expect(lines[5]).toMatch(/^ {2}→ Look at the replicas/);
  });

  it('marks a finding a release in progress causes as muted, naming the release', () => {
    const { report } = evaluate(input(api(4, 0)), new Map(), T0);
    const [first, ...rest] = report.findings;
    const muted = {
      ...report,
      findings: [{ ...(first as Finding), mutedBy: { release: '0123456789abcdef' } }, ...rest],
    };
    const lines = describeHealth(muted, later(90)).trimEnd().split('\n');
    expect(lines[1]).toMatch(/\(muted: release 01234567 causes it\)$/);
    // What to do is about the worst finding that is not muted.
    expect(lines.at(-1)).toBe(`  → ${rest[0]?.hint}`);
  });
});
