import { describe, expect, it } from 'vitest';
import { baseTexts, fleetOf } from '../../test/support/config.js';
import { observe } from './evaluate.js';
import type { RunningLeftover, RunningService } from './types.js';

const NOW = new Date('2026-03-02T10:00:00Z');
const fleet = fleetOf(baseTexts(), 'production');

function api(leftovers: readonly RunningLeftover[] | undefined): RunningService {
  return {
    service: 'api',
    router: { desired: 4, ready: 4 },
    tracks: [],
    ...(leftovers ? { leftovers } : {}),
  };
}

const findings = (leftovers: readonly RunningLeftover[] | undefined) =>
  observe({ fleet, services: [api(leftovers)], workers: [], releases: [] }, NOW);

describe('leftovers', () => {
  it('finds nothing when the runtime reports none', () => {
    expect(findings(undefined)).toEqual([]);
    expect(findings([])).toEqual([]);
  });

  it('warns per track, naming each object and the command that removes it', () => {
    const [f, ...rest] = findings([
      {
        kind: 'Deployment',
        name: 'api-stable-blue',
        track: 'stable',
        version: '0.9.0',
        remove: 'kubectl -n media delete deployment api-stable-blue',
      },
    ]);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ check: 'leftovers', severity: 'warning', unit: 'api', part: 'stable' });
    expect(f?.objects).toEqual(['Deployment/api-stable-blue']);
    expect(f?.message).toContain('Deployment api-stable-blue (version 0.9.0)');
    expect(f?.hint).toContain('`kubectl -n media delete deployment api-stable-blue`');
  });

  it('groups the objects of one track in one finding, sorted, and puts those of no track under the router', () => {
    const found = findings([
      { kind: 'process', name: 'api-free-9 (pid 12)', track: 'free', remove: 'kill 12' },
      { kind: 'process', name: 'api-free-3 (pid 11)', track: 'free', remove: 'kill 11' },
      { kind: 'process', name: 'stray (pid 13)', remove: 'kill 13' },
    ]);
    expect(found.map((f) => [f.part, f.objects])).toEqual([
      ['free', ['process/api-free-3 (pid 11)', 'process/api-free-9 (pid 12)']],
      ['router', ['process/stray (pid 13)']],
    ]);
    expect(found[0]?.message).toContain('2 objects');
    expect(found[0]?.hint).toContain('`kill 11`; `kill 12`');
  });
});
