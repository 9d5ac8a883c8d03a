import { describe, expect, it } from 'vitest';
import { EXIT } from '../../errors/index.js';
import type { HealthReport } from '../../health/index.js';
import { healthExit } from './health.js';
import { healthLine } from './traffic.js';

const finding = (part: string, severity: 'critical' | 'warning') => ({
  check: 'track-endpoints' as const,
  severity,
  unit: 'api',
  part,
  since: '2026-03-02T10:00:00.000Z',
  objects: [],
  message: `api/${part} is short`,
  hint: 'look',
});

const report = (findings: HealthReport['findings'], worst: HealthReport['worst']): HealthReport => ({
  environment: 'sandbox',
  at: '2026-03-02T10:01:00.000Z',
  worst,
  counts: {
    critical: findings.filter((f) => f.severity === 'critical').length,
    warning: findings.filter((f) => f.severity === 'warning').length,
    info: 0,
  },
  findings,
});

describe('switchyard health', () => {
  it('exits by the worst severity: 0 healthy or info, 8 warning, 9 critical', () => {
    expect([healthExit('ok'), healthExit('info'), healthExit('warning'), healthExit('critical')]).toEqual([
      EXIT.ok,
      EXIT.ok,
      EXIT.healthWarning,
      EXIT.healthCritical,
    ]);
    expect([EXIT.healthWarning, EXIT.healthCritical]).toEqual([8, 9]);
  });

  it('gives status one line: the headline and the worst finding', () => {
    expect(healthLine(report([], 'ok'))).toBe('health: ✔ healthy');
    expect(healthLine(report([finding('free', 'critical'), finding('paid', 'warning')], 'critical'))).toBe(
      'health: ✖ critical: 1 critical, 1 warning — api/free: api/free is short (+1 more); details: switchyard health',
    );
  });
});
