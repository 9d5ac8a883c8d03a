import { describe, expect, it } from 'vitest';
import {
  formatCpu,
  formatDuration,
  formatMemory,
  parseCpu,
  parseDuration,
  parseMemory,
  parseQuantity,
} from './index.js';

describe('quantities', () => {
  it.each([
    ['250m', 250],
    ['0.5', 500],
    [2, 2000],
    ['1.5', 1500],
    ['1k', 1_000_000],
    ['0.0001', undefined],
    ['fast', undefined],
    ['-1', undefined],
    ['1Gi', 1_073_741_824_000],
  ] as const)('parses CPU %s', (input, millis) => {
    expect(parseCpu(input)).toBe(millis);
  });

  it.each([
    ['512Mi', 536_870_912],
    ['1G', 1e9],
    ['500M', 5e8],
    [1024, 1024],
    ['1.5Gi', 1_610_612_736],
    ['500m', undefined],
    ['12 GB', undefined],
    ['0.5', undefined],
  ] as const)('parses memory %s', (input, bytes) => {
    expect(parseMemory(input)).toBe(bytes);
  });

  it.each([
    ['250ms', 250],
    ['20s', 20_000],
    ['5m', 300_000],
    ['1.5h', 5_400_000],
    ['2d', 172_800_000],
    ['20', undefined],
    ['20 seconds', undefined],
    ['0.5ms', undefined],
    ['1h30m', 5_400_000],
    ['2m30s', 150_000],
    ['1s500ms', 1500],
    ['1h0m0s', 3_600_000],
    ['1.5m30s', 120_000],
    ['1500us', undefined],
    ['2000us', 2],
    ['3000000ns', 3],
    ['0', 0],
    ['0s', 0],
    ['1h 30m', undefined],
    ['h30m', undefined],
    ['-1h', undefined],
    ['1h30', undefined],
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

  // Kubernetes' own quantity grammar: exponents, signs, bare dots and the sub-unit suffixes.
  it.each([
    ['129e6', 129e6],
    ['129E6', 129e6],
    ['1e-3', 0.001],
    ['1E', 1e18],
    ['+5', 5],
    ['-1.5', -1.5],
    ['.5', 0.5],
    ['5.', 5],
    ['250m', 0.25],
    ['100u', 1e-4],
    ['7n', 7e-9],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['1e', undefined],
    ['1e3.5', undefined],
    ['.', undefined],
    ['', undefined],
    ['1 Gi', undefined],
    ['1ki', undefined],
    ['0x10', undefined],
  ] as const)('reads the quantity %s as Kubernetes does', (input, value) => {
    expect(parseQuantity(input)).toBe(value);
  });

  it('takes exponents for CPU and memory, exactly', () => {
    expect(parseMemory('129e6')).toBe(129_000_000);
    expect(parseMemory('1.1k')).toBe(1100);
    expect(parseMemory('1000e-3')).toBe(1);
    expect(parseMemory('1e-3')).toBeUndefined();
    expect(parseMemory('2000000u')).toBeUndefined();
    expect(parseCpu('25e-2')).toBe(250);
    expect(parseCpu('25e1m')).toBeUndefined();
    expect(parseCpu('1.1')).toBe(1100);
    expect(parseCpu('5e-4')).toBeUndefined();
  });

  it('never rounds a duration: finer than a millisecond is refused', () => {
    expect(parseDuration('1.5ms')).toBeUndefined();
    expect(parseDuration('0.0001s')).toBeUndefined();
    expect(parseDuration('1.1s')).toBe(1100);
    expect(parseDuration('0.001s')).toBe(1);
    expect(parseDuration('1.25m')).toBe(75_000);
  });
});
