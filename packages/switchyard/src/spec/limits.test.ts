import { describe, expect, it } from 'vitest';
import { checkSizes } from './limits.js';

const limits = { fileBytes: 1024 * 1024, totalBytes: 2 * 1024 * 1024 };

describe('configuration size limits', () => {
  it('accepts files up to the limits', () => {
    expect(() =>
      checkSizes(
        'config',
        [
          { file: 'services/a.yaml', bytes: 1024 * 1024 },
          { file: 'services/b.yaml', bytes: 1024 * 1024 },
        ],
        limits,
      ),
    ).not.toThrow();
  });

  it('names the file, its size and the limit', () => {
    expect(() => checkSizes('config', [{ file: 'services/a.yaml', bytes: 5_242_880 }], limits)).toThrow(
      /^services\/a.yaml is 5 MiB \(5242880 bytes\); a configuration file may be at most 1 MiB$/,
    );
  });

  it('names the directory, the total and the limit', () => {
    const sizes = ['a', 'b', 'c'].map((n) => ({ file: `services/${n}.yaml`, bytes: 1000 * 1024 }));
    expect(() => checkSizes('config', sizes, limits)).toThrow(
      /^The configuration files in config \(3\) add up to 2.9 MiB \(3072000 bytes\); together they may be at most 2 MiB$/,
    );
  });
});
