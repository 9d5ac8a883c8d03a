import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import type { Issue } from '../errors/index.js';

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

  private constructor(file: string, doc: Document.Parsed | undefined, lines: LineCounter) {
    this.file = file;
    this.doc = doc;
    this.lines = lines;
    this.data = doc?.toJS({ maxAliasCount: 100 }) as unknown;
  }

  /** Parses `text`; syntax problems come back as issues rather than exceptions. */
  static parse(file: string, text: string): { source: SourceFile; issues: Issue[] } {
    const lines = new LineCounter();
    const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, merge: false });
    const issues: Issue[] = [];
    const list = Array.isArray(docs) ? docs : [];
    if (list.length === 0 || list.every((d) => d.contents === null)) {
      issues.push({ code: 'empty_file', file, line: 1, column: 1, message: 'the file is empty', hint: 'Describe one service, worker or environment in it, or delete it.' });
      return { source: new SourceFile(file, undefined, lines), issues };
    }
    if (list.length > 1) {
      const second = list[1];
      const pos = lines.linePos(second?.range[0] ?? 0);
      issues.push({ code: 'multiple_documents', file, line: pos.line, column: pos.col, message: 'the file holds more than one YAML document', hint: 'Keep one service, worker or environment per file: move the document after `---` to a file of its own.' });
    }
    const doc = list[0] as Document.Parsed;
    for (const err of doc.errors) {
      const pos = lines.linePos(err.pos[0]);
      issues.push({ code: 'yaml_syntax', file, line: pos.line, column: pos.col, message: `YAML syntax error: ${firstLine(err.message)}`, hint: 'Fix the YAML at this line (indentation, a missing colon or quote, a duplicated key).' });
    }
    if (issues.length > 0) return { source: new SourceFile(file, undefined, lines), issues };
    const source = new SourceFile(file, doc, lines);
    if (source.data === null || typeof source.data !== 'object' || Array.isArray(source.data)) {
      issues.push({ code: 'not_a_mapping', file, line: 1, column: 1, message: 'the file must hold a mapping (key: value lines) at its top level', hint: 'Start the file with `kind:` and `name:` lines, as in examples/video-platform.' });
    }
    return { source, issues };
  }

  /** The closest position for `path`: the node itself, or its nearest existing ancestor. */
  locate(path: DocPath, { key = false }: { key?: boolean } = {}): Location {
    const node = this.nodeAt(path, key);
    const offset = node?.range?.[0] ?? 0;
    const pos = this.lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  }

  /** Whether the document holds a value at exactly this path. */
  has(path: DocPath): boolean {
    return this.doc !== undefined && this.doc.hasIn(path);
  }

  private nodeAt(path: DocPath, key: boolean): Node | undefined {
    if (!this.doc) return undefined;
    let current: unknown = this.doc.contents;
    let found: Node | undefined = (current as Node | null) ?? undefined;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i];
      const last = i === path.length - 1;
      if (isMap(current)) {
        const pair = current.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) return found;
        if (last && key && pair.key) return pair.key as Node;
        current = pair.value;
        found = (pair.value as Node | null) ?? (pair.key as Node);
      } else if (isSeq(current) && typeof segment === 'number') {
        const item = current.items[segment];
        if (item === undefined) return found;
        current = item;
        found = item as Node;
      } else {
        return found;
      }
    }
    return found;
  }
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}
