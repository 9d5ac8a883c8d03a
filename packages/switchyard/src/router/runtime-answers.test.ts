import { describe, expect, it } from 'vitest';
import { interactiveAnswers, interactiveScript, refusal } from './runtime-answers.js';

describe('Runtime API answers', () => {
  it('writes an interactive session: prompt, the commands, quit', () => {
    expect(interactiveScript(['set map /m free 500', 'show map /m'])).toBe(
      'prompt\nset map /m free 500\nshow map /m\nquit\n',
    );
    expect(() => interactiveScript(['set map /m a b\nshutdown frontend x'])).toThrow(/cannot span lines/);
  });

  it('reads one answer per command once every prompt has come, not before', () => {
    // As HAProxy 2.6 answers `prompt`, a `set map` that succeeds, one it refuses, and a `show map`.
    const output =
      '\n> \n> Unknown map identifier. Please use #<id> or <file>.\n\n> 0x55d free 500\n0x55e paid 0\n\n> ';
    expect(interactiveAnswers(output, 3)).toEqual([
      '',
      'Unknown map identifier. Please use #<id> or <file>.',
      '0x55d free 500\n0x55e paid 0',
    ]);
    // The last answer is not complete until its prompt arrives; a chunk may end anywhere.
    expect(interactiveAnswers(output.slice(0, -3), 3)).toBeUndefined();
    expect(interactiveAnswers('\n> ', 1)).toBeUndefined();
    expect(interactiveAnswers('', 0)).toBeUndefined();
    expect(interactiveAnswers('\n> ', 0)).toEqual([]);
  });

  it('tells a refusal from an answer', () => {
    expect(refusal('')).toBeUndefined();
    expect(refusal('0x55d free 500')).toBeUndefined();
    expect(refusal('Unknown map identifier. Please use #<id> or <file>.')).toBe(
      'Unknown map identifier. Please use #<id> or <file>.',
    );
    expect(refusal("'set server' expects <backend>/<server> and one of...")).toMatch(/^'set server' expects/);
  });
});
