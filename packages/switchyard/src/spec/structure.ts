import { isAlias, isMap, isScalar, isSeq, type Node, type Pair } from 'yaml';
import { YAML_LIMITS } from './limits.js';

/** A problem with the shape of a parsed document, at an offset into its text. */
export interface StructureProblem {
  readonly code: string;
  readonly offset: number;
  readonly message: string;
  readonly hint: string;
}

type Step = { readonly enter: Node; readonly depth: number } | { readonly exit: Node };

/** What an anchor holds once its value is closed: how many values an alias to it repeats. */
interface Anchored {
  open: boolean;
  values: number;
}

const offsetOf = (node: Node): number => node.range?.[0] ?? 0;

/**
 * One pass over a document, in text order, that finds what a YAML parser lets through but
 * every later step would pay for: keys set twice in one mapping (YAML keeps the last, and
 * `1` and `"1"` become the same key), aliases to nothing or to their own ancestors (a value
 * that contains itself), aliases that multiply values (a billion laughs), and nesting deep
 * enough to exhaust the stack of any recursive step. Linear in the size of the document.
 */
export function checkStructure(root: unknown): StructureProblem[] {
  const problems: StructureProblem[] = [];
  if (!root || typeof root !== 'object') return problems;
  const anchors = new Map<string, Anchored>();
  let references = 0;
  let aliasedValues = 0;
  // Values per open collection: how many values it expands to, aliases included.
  const sizes: number[] = [];
  const count = (values: number) => {
    if (sizes.length > 0) sizes[sizes.length - 1] = (sizes[sizes.length - 1] as number) + values;
  };
  const anchorOf = (node: Node): string | undefined =>
    'anchor' in node && typeof node.anchor === 'string' && node.anchor !== '' ? node.anchor : undefined;
  const stack: Step[] = [{ enter: root as Node, depth: 1 }];
  while (stack.length > 0) {
    const step = stack.pop() as Step;
    if ('exit' in step) {
      const values = sizes.pop() as number;
      const anchor = anchorOf(step.exit);
      if (anchor) anchors.set(anchor, { open: false, values });
      count(values);
      continue;
    }
    const node = step.enter;
    const anchor = anchorOf(node);
    if (anchor || isAlias(node)) {
      if (++references > YAML_LIMITS.anchorsAndAliases) {
        problems.push({
          code: 'too_many_aliases',
          offset: offsetOf(node),
          message: `the file uses more than ${YAML_LIMITS.anchorsAndAliases} anchors and aliases`,
          hint: 'Write the values out, or split the file: a configuration file needs a handful of anchors at most.',
        });
        return problems;
      }
    }
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (!target) {
        problems.push({
          code: 'unknown_alias',
          offset: offsetOf(node),
          message: `the alias *${node.source} names no anchor &${node.source} set before it`,
          hint: `Set &${node.source} on a value above this line, or fix the alias's spelling.`,
        });
      } else if (target.open) {
        problems.push({
          code: 'alias_cycle',
          offset: offsetOf(node),
          message: `the alias *${node.source} is inside the value anchored as &${node.source}: that value would contain itself`,
          hint: `Move the alias out of the value marked &${node.source}.`,
        });
      } else {
        aliasedValues += target.values;
        if (aliasedValues > YAML_LIMITS.aliasedValues) {
          problems.push({
            code: 'alias_expansion',
            offset: offsetOf(node),
            message: `aliases up to here repeat more than ${YAML_LIMITS.aliasedValues} values (*${node.source} alone repeats ${target.values}): aliases that multiply values (a "billion laughs") are refused`,
            hint: 'Use aliases to repeat small blocks, not to multiply them: write the values out, or nest fewer aliases.',
          });
          return problems;
        }
        count(target.values);
      }
      continue;
    }
    if (!isMap(node) && !isSeq(node)) {
      if (anchor) anchors.set(anchor, { open: false, values: 1 });
      count(1);
      continue;
    }
    if (step.depth > YAML_LIMITS.depth) {
      problems.push({
        code: 'too_deep',
        offset: offsetOf(node),
        message: `mappings and lists are nested more than ${YAML_LIMITS.depth} levels deep here`,
        hint: 'Flatten the structure: a service file nests a handful of levels.',
      });
      return problems;
    }
    if (anchor) anchors.set(anchor, { open: true, values: 0 });
    sizes.push(1);
    stack.push({ exit: node });
    const children: Node[] = [];
    if (isMap(node)) {
      for (const duplicate of duplicateKeys(node.items)) problems.push(duplicate);
      for (const pair of node.items) {
        if (pair.key && typeof pair.key === 'object') children.push(pair.key as Node);
        if (pair.value && typeof pair.value === 'object') children.push(pair.value as Node);
      }
    } else {
      for (const item of node.items) if (item && typeof item === 'object') children.push(item as Node);
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push({ enter: children[i] as Node, depth: step.depth + 1 });
  }
  return problems;
}

/** Keys that name the same field once read: `1` and `"1"` are one key to the program. */
function duplicateKeys(pairs: readonly Pair[]): StructureProblem[] {
  const seen = new Set<string>();
  const problems: StructureProblem[] = [];
  for (const pair of pairs) {
    if (!isScalar(pair.key)) continue;
    const key = pair.key.value === null ? '' : String(pair.key.value);
    if (seen.has(key)) {
      problems.push({
        code: 'duplicate_key',
        offset: offsetOf(pair.key),
        message: `YAML syntax error: Map keys must be unique; "${key}" is set twice in this mapping`,
        hint: 'Keep one of the two: YAML would silently use the last one.',
      });
    }
    seen.add(key);
  }
  return problems;
}
