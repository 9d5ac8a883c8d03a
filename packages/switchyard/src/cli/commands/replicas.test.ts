import { describe, expect, it } from 'vitest';
import { parseAdvertise, parseLeaderRetry } from './server.js';
import { describeLeadership } from './traffic.js';

describe('switchyard server options for replicas', () => {
  it('takes an http(s) address to advertise, without a path or credentials', () => {
    expect(parseAdvertise('http://10.0.3.17:7070')).toBe('http://10.0.3.17:7070');
    expect(parseAdvertise(' https://switchyard-0.switchyard:7070/ ')).toBe('https://switchyard-0.switchyard:7070');
    for (const bad of ['10.0.3.17:7070', 'ftp://x', 'http://user:pw@x:1', ''])
      expect(() => parseAdvertise(bad), bad).toThrow(/--advertise .* is not an http:\/\/ or https:\/\/ address/);
  });

  it('takes a retry interval as a duration between 100 ms and an hour', () => {
    expect(parseLeaderRetry('1s')).toBe(1000);
    expect(parseLeaderRetry('250ms')).toBe(250);
    for (const bad of ['10ms', '2h', 'soon'])
      expect(() => parseLeaderRetry(bad), bad).toThrow(/--leader-retry .* is not a duration between 100ms and 1h/);
  });
});

describe('who leads, as status says it', () => {
  const since = '2026-12-02T18:00:00.000Z';
  it('names the leader, or says writes are refused while none leads', () => {
    expect(
      describeLeadership({
        role: 'leader',
        self: 'http://a:7070',
        replicas: true,
        leader: { address: 'http://a:7070', term: 4, since },
      }),
    ).toBe(`leader: this replica (http://a:7070), term 4, since ${since}`);
    expect(
      describeLeadership({
        role: 'standby',
        self: 'http://b:7070',
        replicas: true,
        leader: { address: 'http://a:7070', term: 4, since },
      }),
    ).toBe(`standby (http://b:7070): http://a:7070 leads (term 4, since ${since}); writes are handed to it`);
    expect(describeLeadership({ role: 'standby', self: 'http://b:7070', replicas: true, leader: null })).toBe(
      'standby (http://b:7070): no replica leads now — writes are refused (SWY_API_NO_LEADER) until one takes over',
    );
  });
});
