import { describe, expect, it } from 'vitest';
import { SwitchyardError } from '../errors/index.js';
import { findControlCharacter, forTheRecord, freeText, refuseControlCharacters } from './input.js';
import { EventStreams } from './routes/events.js';

describe('what the API accepts', () => {
  it('finds a control character wherever it hides, keys included', () => {
    expect(findControlCharacter({ a: 'fine', b: ['x', { c: 'bad\u0000' }] }, 'body')).toBe('body.b.1.c');
    expect(findControlCharacter({ 'k\ney': 1 }, 'query')).toBe('query.k\ney');
    expect(findControlCharacter({ a: 'tab\tis a control too' }, 'body')).toBe('body.a');
    expect(findControlCharacter({ a: 'ünïcødé — fine', n: 3, t: true, z: null }, 'body')).toBeUndefined();
    expect(() => refuseControlCharacters({ path: { service: 'a\u0000' } })).toThrow(SwitchyardError);
  });

  it('bounds free text to one line', () => {
    const reason = freeText(10);
    expect(reason.safeParse('short one').success).toBe(true);
    expect(reason.safeParse('much too long').success).toBe(false);
    expect(reason.safeParse('two\nlines').success).toBe(false);
  });

  it('keeps what a refused request held fit for the audit log', () => {
    const record = forTheRecord({ reason: `${'x'.repeat(300)}\u0000`, deep: { a: { b: 'nul\u0000' } } }) as {
      reason: string;
      deep: { a: { b: string } };
    };
    expect(record.reason).toBe(`${'x'.repeat(200)}… (301 characters)`);
    expect(record.deep.a.b).toBe('nul\\u0000');
  });
});

describe('event streams', () => {
  it('bounds the streams one caller holds and gives each place back once', () => {
    const streams = new EventStreams(2);
    const a = streams.take('ci');
    streams.take('ci');
    expect(() => streams.take('ci')).toThrow(/already holds 2 event streams/);
    expect(streams.take('dashboard')).toBeTypeOf('function');
    a();
    a();
    expect(streams.open).toBe(2);
    expect(streams.take('ci')).toBeTypeOf('function');
  });

  it('lets only a few replays read the store at once', async () => {
    const streams = new EventStreams(20, 2);
    let reading = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 10 }, () =>
        streams.page(async () => {
          most = Math.max(most, ++reading);
          await new Promise((r) => setTimeout(r, 5));
          reading--;
        }),
      ),
    );
    expect(most).toBe(2);
  });
});
