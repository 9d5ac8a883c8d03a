import { describe, expect, it } from 'vitest';
import { incidentService } from './runtime-events.js';

describe('the runtime events an incident keeps', () => {
  it('keeps scaling and failures, each with its service or worker', () => {
    expect(incidentService({ type: 'worker-scaled', worker: 'thumbs', workerClass: 'free', from: 1, to: 3 })).toBe(
      'thumbs',
    );
    expect(incidentService({ type: 'schedule-floor', service: 'api', floor: 4, windows: ['match-night'] })).toBe('api');
    expect(
      incidentService({
        type: 'replica-crashed',
        service: 'api',
        track: 'free',
        replica: 'api-free-0',
        code: 1,
        signal: null,
        restartInMs: 1000,
      }),
    ).toBe('api');
    expect(incidentService({ type: 'haproxy-exited', service: 'api', code: null, signal: 'SIGKILL' })).toBe('api');
    expect(incidentService({ type: 'server-checks', service: 'api', track: 'free', port: 41000, up: false })).toBe(
      'api',
    );
  });

  it('leaves out the normal course of things', () => {
    expect(
      incidentService({
        type: 'replica-ready',
        service: 'api',
        track: 'free',
        replica: 'api-free-0',
        version: '1',
        port: 1,
      }),
    ).toBeUndefined();
    expect(incidentService({ type: 'progress', line: 'applied 3 objects' })).toBeUndefined();
    expect(incidentService({ type: 'recovered', adopted: 1, stopped: 0 })).toBeUndefined();
  });
});
