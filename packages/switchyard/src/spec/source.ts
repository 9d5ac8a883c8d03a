import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml';
import type { Issue } from '../errors/index.js';
import { YAML_LIMITS } from './limits.js';
import { checkStructure } from './structure.js';

export type DocPath = readonly (string | number)[];

export interface Location {
  readonly line: number;
  readonly column: number;
}

/** A YAML file parsed with positions, so that any problem can point at its line. */
export class SourceFile {
  readonly file: string;
  readonly data: unknown;
  private readonly doc: Document.Parsed | undefined;
  private readonly lines: LineCounter;
  /** Each mapping's pairs by key, built on first use: locating a problem costs one lookup per path segment. */
  private readonly keyIndex = new WeakMap<YAMLMap, Map<string, Pair>>();

  private constructor(file: string, doc: Document.Parsed | undefined, lines: LineCounter, data: unknown) {
    this.file = file;
    this.doc = doc;
    this.lines = lines;
    this.data = data;
  }

  /** Parses `text`; syntax problems come back as issues rather than exceptions. */
  static parse(file: string, text: string): { source: SourceFile; issues: Issue[] } {
    const lines = new LineCounter();
    const empty = (issues: Issue[]) => ({ source: new SourceFile(file, undefined, lines, undefined), issues });
    // Duplicate keys are found by checkStructure in one pass: the parser's own check
    // compares every key with every other and made large files take minutes.
    const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false, merge: false });
    const list = Array.isArray(docs) ? docs : [];
    if (list.length === 0 || list.every((d) => d.contents === null)) {
      return empty([
        {
          code: 'empty_file',
          file,
          line: 1,
          column: 1,
          message: 'the file is empty',
          hint: 'Describe one service, worker or environment in it, or delete it.',
        },
      ]);
    }
    const issues: Issue[] = [];
    const position = (offset: number) => {
      const pos = lines.linePos(offset);
      return { line: pos.line, column: pos.col };
    };
    if (list.length > 1) {
      issues.push({
        code: 'multiple_documents',
        file,
        ...position(list[1]?.range[0] ?? 0),
        message: 'the file holds more than one YAML document',
        hint: 'Keep one service, worker or environment per file: move the document after `---` to a file of its own.',
      });
    }
    const doc = list[0] as Document.Parsed;
    for (const err of doc.errors) {
      issues.push({
        code: 'yaml_syntax',
        file,
        ...position(err.pos[0]),
        message: `YAML syntax error: ${firstLine(err.message)}`,
        hint: 'Fix the YAML at this line (indentation, a missing colon or quote, a duplicated key).',
      });
    }
    if (issues.length > 0) return empty(issues);
    for (const problem of checkStructure(doc.contents)) {
      issues.push({
        code: problem.code,
        file,
        ...position(problem.offset),
        message: problem.message,
        hint: problem.hint,
      });
    }
    if (issues.length > 0) return empty(issues);
    // checkStructure bounded what aliases may add and refused cycles, so the conversion is
    // linear; the parser's own alias count would refuse a small anchor used 101 times.
    const source = new SourceFile(file, doc, lines, doc.toJS({ maxAliasCount: -1 }) as unknown);
    if (source.data === null || typeof source.data !== 'object' || Array.isArray(source.data)) {
      issues.push({
        code: 'not_a_mapping',
        file,
        line: 1,
        column: 1,
        message: 'the file must hold a mapping (key: value lines) at its top level',
        hint: 'Start the file with `kind:` and `name:` lines, as in examples/video-platform.',
      });
    }
    return { source, issues };
  }

  /**
   * The closest position for `path`: the node itself, or its nearest existing ancestor. With
   * `key`, a mapping's entry is placed at its key (`resources:`) rather than at its value.
   */
  locate(path: DocPath, { key = false }: { key?: boolean } = {}): Location {
    const node = this.nodeAt(path, key).node;
    const offset = node?.range?.[0] ?? 0;
    const pos = this.lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  }

  /** Whether the document holds a value at exactly this path. */
  has(path: DocPath): boolean {
    return this.nodeAt(path, false).exact;
  }

  private nodeAt(path: DocPath, key: boolean): { node: Node | undefined; exact: boolean } {
    if (!this.doc) return { node: undefined, exact: false };
    let current: unknown = this.doc.contents;
    let found: Node | undefined = (current as Node | null) ?? undefined;
    // The nearest ancestor as `key` places it: the key of the last entry found.
    let ancestor = found;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i];
      const last = i === path.length - 1;
      if (isMap(current)) {
        const pair = this.pairs(current).get(String(segment));
        if (!pair) return { node: key ? ancestor : found, exact: false };
        if (last && key && pair.key) return { node: pair.key as Node, exact: true };
        current = pair.value;
        found = (pair.value as Node | null) ?? (pair.key as Node);
        ancestor = (pair.key as Node | null) ?? found;
      } else if (isSeq(current) && typeof segment === 'number') {
        const item = current.items[segment];
        if (item === undefined) return { node: key ? ancestor : found, exact: false };
        current = item;
        found = item as Node;
        ancestor = found;
      } else {
        return { node: key ? ancestor : found, exact: false };
      }
    }
    return { node: found, exact: true };
  }

  private pairs(map: YAMLMap): Map<string, Pair> {
    let index = this.keyIndex.get(map);
    if (!index) {
      index = new Map();
      // The first pair wins, as when the parser found it by a search (duplicates are refused anyway).
      for (const pair of map.items)
        if (isScalar(pair.key) && !index.has(String(pair.key.value))) index.set(String(pair.key.value), pair);
      this.keyIndex.set(map, index);
    }
    return index;
  }
}

function firstLine(message: string): string {
  // The parser reports nesting deep enough to exhaust its stack by the engine's own words.
  if (message.startsWith('Maximum call stack size exceeded'))
    return `mappings and lists are nested too deep to read here (the limit is ${YAML_LIMITS.depth} levels)`;
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}
