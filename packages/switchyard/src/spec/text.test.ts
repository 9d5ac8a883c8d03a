import { describe, expect, it } from 'vitest';
import { decodeUtf8 } from './text.js';

const FILE = 'services/api.yaml';
const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

describe('decodeUtf8', () => {
  it('decodes UTF-8, dropping a byte-order mark', () => {
    expect(decodeUtf8(FILE, bytes('team: café ✓ 😀\n'))).toEqual({ text: 'team: café ✓ 😀\n' });
    expect(decodeUtf8(FILE, bytes([0xef, 0xbb, 0xbf], 'a: 1\n'))).toEqual({ text: 'a: 1\n' });
  });

  it('refuses the first byte that is not UTF-8, at its line and column in characters', () => {
    const found = decodeUtf8(FILE, bytes('a: 1\nteam: café 😀 ', [0xe9], '\nb: ', [0xff]));
    expect(found).toEqual({
      issue: expect.objectContaining({
        code: 'not_utf8',
        file: FILE,
        line: 2,
        column: 14,
        message: 'the file is not UTF-8: byte 0xe9 at offset 22 is not part of a UTF-8 character',
      }) as unknown,
    });
  });

  it('tells a replacement character the file spells out from a bad byte, and finds a sequence cut short', () => {
    expect(decodeUtf8(FILE, bytes('a: \uFFFD ', [0xc3]))).toMatchObject({
      issue: { line: 1, column: 6, message: expect.stringContaining('byte 0xc3 at offset 7') as unknown },
    });
    expect(decodeUtf8(FILE, bytes([0xef, 0xbb, 0xbf], 'x', [0x80]))).toMatchObject({
      issue: { line: 1, column: 2, message: expect.stringContaining('offset 4') as unknown },
    });
  });
});
