import { describe, expect, it } from 'vitest';
import { baseTexts, setIn, workerOf } from '../../test/support/config.js';

describe('durations in a service or worker file', () => {
  it.each([
    ['1h30m', 5_400_000],
    ['2m30s', 150_000],
    ['90s', 90_000],
    ['1m0s500ms', 60_500],
  ] as const)('take the Go style: timeout %s is %i ms', (text, ms) => {
    const texts = baseTexts();
    texts['services/encoder.yaml'] = setIn(texts['services/encoder.yaml'] as string, 'fallback.timeout', text);
    expect(workerOf(texts).fallback?.timeoutMs).toBe(ms);
  });

  it('refuse a malformed one, naming it', () => {
    const texts = baseTexts();
    texts['services/encoder.yaml'] = setIn(texts['services/encoder.yaml'] as string, 'fallback.timeout', '1h 30m');
    expect(() => workerOf(texts)).toThrow(
      expect.objectContaining({
        issues: [expect.objectContaining({ message: expect.stringContaining('not "1h 30m"') as unknown })],
      }),
    );
  });
});
