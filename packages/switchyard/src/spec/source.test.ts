import { describe, expect, it } from 'vitest';
import { YAML_LIMITS } from './limits.js';
import { SourceFile } from './source.js';

const FILE = 'services/api.yaml';

function problems(
  text: string,
): { code: string; line: number | undefined; column: number | undefined; message: string }[] {
  return SourceFile.parse(FILE, text).issues.map(({ code, line, column, message }) => ({
    code,
    line,
    column,
    message,
  }));
}

describe('SourceFile.parse', () => {
  it('reads a mapping and locates keys and values by path', () => {
    const { source, issues } = SourceFile.parse(
      FILE,
      'kind: Service\ntracks:\n  free: { replicas: 2 }\nhosts: [a, b]\n',
    );
    expect(issues).toEqual([]);
    expect(source.data).toEqual({ kind: 'Service', tracks: { free: { replicas: 2 } }, hosts: ['a', 'b'] });
    expect(source.locate(['tracks', 'free', 'replicas'])).toEqual({ line: 3, column: 21 });
    expect(source.locate(['tracks', 'free'], { key: true })).toEqual({ line: 3, column: 3 });
    expect(source.locate(['hosts', 1])).toEqual({ line: 4, column: 12 });
    // A path that is not there points at its closest ancestor.
    expect(source.locate(['tracks', 'paid', 'replicas'])).toEqual({ line: 3, column: 3 });
    expect(source.has(['tracks', 'free', 'replicas'])).toBe(true);
    expect(source.has(['tracks', 'paid'])).toBe(false);
  });

  it('refuses a key set twice, also when 1 and "1" name the same key, at the second one', () => {
    expect(problems('a: 1\nb:\n  x: 1\n  y: 2\n  x: 3\n')).toEqual([
      {
        code: 'duplicate_key',
        line: 5,
        column: 3,
        message: 'YAML syntax error: Map keys must be unique; "x" is set twice in this mapping',
      },
    ]);
    expect(problems('labels:\n  1: a\n  "1": b\n')[0]).toMatchObject({ code: 'duplicate_key', line: 3 });
    expect(problems('a: { x: 1, x: 2 }\n')[0]).toMatchObject({ code: 'duplicate_key', line: 1, column: 12 });
  });

  it('keeps aliases that repeat a small block, however often (the parser alone refuses 101 uses)', () => {
    const text = `base: &base { cpu: 1, memory: 2 }\nlist:\n${Array.from({ length: 200 }, () => '  - *base').join('\n')}\n`;
    const { source, issues } = SourceFile.parse(FILE, text);
    expect(issues).toEqual([]);
    expect((source.data as { list: unknown[] }).list).toHaveLength(200);
  });

  it('refuses a billion laughs at the alias where the repeated values pass the bound', () => {
    const levels = Array.from({ length: 9 }, (_, i) =>
      i === 0
        ? 'l0: &l0 [a, a, a, a, a, a, a, a, a, a]'
        : `l${i}: &l${i} [${Array(10)
            .fill(`*l${i - 1}`)
            .join(', ')}]`,
    );
    const found = problems(`${levels.join('\n')}\n`);
    expect(found).toHaveLength(1);
    // l1 repeats 10 × 11 values, l2 10 × 111 (1,220 in all), each alias of l3 1,111 more: its 8th passes 10,000.
    expect(found[0]).toMatchObject({ code: 'alias_expansion', line: 4, column: 10 + 7 * 5 });
    expect(found[0]?.message).toContain(`more than ${YAML_LIMITS.aliasedValues} values (*l2 alone repeats 1111)`);
  });

  it('refuses an alias to no anchor and an alias inside its own anchor, where they are', () => {
    expect(problems('a: 1\nb: *nope\n')).toEqual([
      { code: 'unknown_alias', line: 2, column: 4, message: 'the alias *nope names no anchor &nope set before it' },
    ]);
    expect(problems('b: *later\na: &later 1\n')[0]).toMatchObject({ code: 'unknown_alias', line: 1 });
    expect(problems('a: &self\n  b: [1, *self]\n')).toEqual([
      {
        code: 'alias_cycle',
        line: 2,
        column: 10,
        message: 'the alias *self is inside the value anchored as &self: that value would contain itself',
      },
    ]);
  });

  it('follows an anchor set again to its latest value, as YAML does', () => {
    const { source, issues } = SourceFile.parse(FILE, 'a: &x 1\nb: *x\nc: &x { y: 2 }\nd: *x\n');
    expect(issues).toEqual([]);
    expect(source.data).toEqual({ a: 1, b: 1, c: { y: 2 }, d: { y: 2 } });
  });

  it('refuses nesting deeper than the bound, and more anchors and aliases than the bound', () => {
    const deep = `a: ${'['.repeat(YAML_LIMITS.depth + 1)}${']'.repeat(YAML_LIMITS.depth + 1)}\n`;
    expect(problems(deep)[0]).toMatchObject({ code: 'too_deep', line: 1 });
    expect(problems(`a: ${'['.repeat(100_000)}\n`)[0]).toMatchObject({
      code: 'yaml_syntax',
      line: 1,
      message: `YAML syntax error: mappings and lists are nested too deep to read here (the limit is ${YAML_LIMITS.depth} levels)`,
    });
    const fits = `a: ${'['.repeat(YAML_LIMITS.depth - 1)}${']'.repeat(YAML_LIMITS.depth - 1)}\n`;
    expect(problems(fits)).toEqual([]);
    const anchors = Array.from({ length: YAML_LIMITS.anchorsAndAliases + 1 }, (_, i) => `k${i}: &a${i} ${i}`).join(
      '\n',
    );
    expect(problems(`${anchors}\n`)).toEqual([
      {
        code: 'too_many_aliases',
        line: YAML_LIMITS.anchorsAndAliases + 1,
        column: 15,
        message: `the file uses more than ${YAML_LIMITS.anchorsAndAliases} anchors and aliases`,
      },
    ]);
  });
});
