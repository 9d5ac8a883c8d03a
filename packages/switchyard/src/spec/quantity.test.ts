import { describe, expect, it } from 'vitest';
import { formatCpu, formatDuration, formatMemory, parseCpu, parseDuration, parseMemory } from './quantity.js';

describe('quantities', () => {
  it.each([
    ['250m', 250], ['0.5', 500], [2, 2000], ['1.5', 1500], ['1k', 1_000_000], ['0.0001', undefined], ['fast', undefined], ['-1', undefined], ['1Gi', 1_073_741_824_000],
  ] as const)('parses CPU %s', (input, millis) => {
    expect(parseCpu(input)).toBe(millis);
  });

  it.each([
    ['512Mi', 536_870_912], ['1G', 1e9], ['500M', 5e8], [1024, 1024], ['1.5Gi', 1_610_612_736], ['500m', undefined], ['12 GB', undefined], ['0.5', undefined],
  ] as const)('parses memory %s', (input, bytes) => {
    expect(parseMemory(input)).toBe(bytes);
  });

  it.each([
    ['250ms', 250], ['20s', 20_000], ['5m', 300_000], ['1.5h', 5_400_000], ['2d', 172_800_000], ['20', undefined], ['20 seconds', undefined], ['0.5ms', undefined],
  ] as const)('parses duration %s', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it('formats canonically', () => {
    expect(formatCpu(2000)).toBe('2');
    expect(formatCpu(250)).toBe('250m');
    expect(formatMemory(536_870_912)).toBe('512Mi');
    expect(formatMemory(5e8)).toBe('500M');
    expect(formatMemory(1000)).toBe('1k');
    expect(formatMemory(1023)).toBe('1023');
    expect(formatDuration(300_000)).toBe('5m');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(1500)).toBe('1500ms');
  });

  it('round-trips', () => {
    for (const m of [1, 250, 1000, 1500, 64_000]) expect(parseCpu(formatCpu(m))).toBe(m);
    for (const b of [1, 1024, 5e8, 2 ** 31, 3 * 2 ** 30]) expect(parseMemory(formatMemory(b))).toBe(b);
    for (const d of [1, 999, 1000, 61_000, 3_600_000]) expect(parseDuration(formatDuration(d))).toBe(d);
  });
});
