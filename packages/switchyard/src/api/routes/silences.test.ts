import { describe, expect, it } from 'vitest';
import { receiverNotifier } from '../../notifiers/index.js';
import { silenceExpiry, silenceView } from './silences.js';

const NOW = new Date('2026-03-02T10:00:00Z');

describe("a silence's expiry", () => {
  it('takes a duration from now or an RFC 3339 time', () => {
    expect(silenceExpiry('2h', NOW).toISOString()).toBe('2026-03-02T12:00:00.000Z');
    expect(silenceExpiry('1h30m', NOW).toISOString()).toBe('2026-03-02T11:30:00.000Z');
    expect(silenceExpiry('2026-03-03T08:00:00Z', NOW).toISOString()).toBe('2026-03-03T08:00:00.000Z');
  });

  it.each([
    ['soon', /neither a duration/],
    ['2026-03-03', /neither a duration/],
    ['0s', /not in the future/],
    ['2026-03-01T08:00:00Z', /not in the future/],
    ['2400h', /more than 90 days away/],
  ])('refuses %s', (text, says) => {
    expect(() => silenceExpiry(text, NOW)).toThrow(
      expect.objectContaining({ code: 'SWY_ALERTS_SILENCE_INVALID', message: expect.stringMatching(says) as unknown }),
    );
  });

  it('is active until its expiry or until someone expires it', () => {
    const s = {
      id: 'x',
      environment: 'production',
      author: 'ana',
      reason: 'r',
      createdAt: '2026-03-02T09:00:00.000Z',
      expiresAt: '2026-03-02T11:00:00.000Z',
      expiredAt: null,
      expiredBy: null,
    };
    expect(silenceView(s, NOW).status).toBe('active');
    expect(silenceView(s, new Date('2026-03-02T11:00:00Z')).status).toBe('expired');
    expect(silenceView({ ...s, expiredAt: '2026-03-02T09:30:00.000Z', expiredBy: 'ana' }, NOW).status).toBe('expired');
  });
});

describe('a receiver whose URL variable is not set', () => {
  it('fails naming the variable, never a URL', async () => {
    const notifier = receiverNotifier({ name: 'ops', type: 'slack', urlFrom: 'OPS_URL' }, { env: {} });
    await expect(
      notifier.send({
        status: 'firing',
        environment: 'production',
        service: 'api',
        at: NOW.toISOString(),
        findings: [],
      }),
    ).rejects.toMatchObject({
      code: 'SWY_NOTIFY_FAILED',
      message: expect.stringContaining('OPS_URL is not set') as unknown,
    });
  });
});
