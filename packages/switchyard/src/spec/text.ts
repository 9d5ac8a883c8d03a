import type { Issue } from '../errors/index.js';

const strict = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');
const REPLACEMENT = 0xfffd;

/**
 * A file's bytes as text, refusing anything that is not UTF-8: a decoder that replaced bad
 * bytes with U+FFFD would silently change a name or a value the user never wrote.
 */
export function decodeUtf8(file: string, bytes: Uint8Array): { text: string } | { issue: Issue } {
  try {
    return { text: strict.decode(bytes) };
  } catch {
    const at = firstInvalid(bytes);
    return {
      issue: {
        code: 'not_utf8',
        file,
        line: at.line,
        column: at.column,
        message: `the file is not UTF-8: byte 0x${(bytes[at.offset] ?? 0).toString(16).padStart(2, '0')} at offset ${at.offset} is not part of a UTF-8 character`,
        hint: 'Save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`), or remove the character at this line and column.',
      },
    };
  }
}

/** Where the first undecodable byte is: its offset, and the line and column (in characters) it falls on. */
function firstInvalid(bytes: Uint8Array): { offset: number; line: number; column: number } {
  // Decoding leniently keeps every valid character and puts one U+FFFD per bad sequence; the
  // first U+FFFD that the file did not spell out as EF BF BD marks the bad byte.
  const text = lenient.decode(bytes);
  let offset = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let line = 1;
  let column = 1;
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    const width = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (code === REPLACEMENT && !(bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd))
      break;
    offset += width;
    if (code === 0x0a) {
      line++;
      column = 1;
    } else {
      column++;
    }
  }
  return { offset, line, column };
}
