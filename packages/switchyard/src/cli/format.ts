import { styleText } from 'node:util';
import { EXIT, isSwitchyardError, type Issue, type SwitchyardError } from '../errors/index.js';

type Style = Parameters<typeof styleText>[0];

/**
 * Whether to colour what goes to a stream, as Node and most CLIs decide it: FORCE_COLOR set
 * (to anything but 0 or false) colours even a pipe (CI logs), NO_COLOR set turns colour off,
 * else only a terminal gets colour.
 */
export function wantsColour(stream: Pick<NodeJS.WriteStream, 'isTTY'>, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (env.NO_COLOR) return false;
  return stream.isTTY === true;
}

/** Colours only when the stream wants them (see wantsColour); the decision is ours, not Node's. */
export function paint(stream: NodeJS.WriteStream, style: Style, text: string): string {
  return wantsColour(stream) ? styleText(style, text, { validateStream: false }) : text;
}

export function issueLocation(issue: Issue): string {
  const where = issue.file ? `${issue.file}${issue.line ? `:${issue.line}:${issue.column ?? 1}` : ''}` : '';
  if (where && issue.path) return `${where}: ${issue.path}`;
  return where || issue.path || '';
}

/** `✖ replicas must be ≥ 2 → at services/api.yaml:12:7: tracks.free.replicas` and its hint. */
export function formatIssue(issue: Issue, stream: NodeJS.WriteStream): string {
  const location = issueLocation(issue);
  const head = `${paint(stream, 'red', '✖')} ${issue.message}${location ? ` ${paint(stream, 'dim', '→ at')} ${location}` : ''}`;
  return issue.hint ? `${head}\n  ${paint(stream, 'dim', 'hint:')} ${issue.hint}` : head;
}

export function formatError(err: SwitchyardError, stream: NodeJS.WriteStream): string {
  const lines = [`${paint(stream, 'red', 'error')} ${paint(stream, 'bold', err.code)}: ${err.message}`];
  for (const issue of err.issues) lines.push(formatIssue(issue, stream));
  lines.push(`${paint(stream, 'dim', 'hint:')} ${err.hint}`);
  return lines.join('\n');
}

/** Writes any error for a person or, with json, for a program; never a stack trace for known errors. */
export function reportError(err: unknown, json: boolean): number {
  if (isSwitchyardError(err)) {
    if (json) process.stdout.write(`${JSON.stringify({ error: err.toJSON() }, null, 2)}\n`);
    else process.stderr.write(`${formatError(err, process.stderr)}\n`);
    return err.exit;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`error SWY_INTERNAL_ERROR: an unexpected error happened: ${message}\n`);
  if (process.env.SWITCHYARD_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.stderr.write('hint: this is a bug in Switchyard; run again with SWITCHYARD_DEBUG=1 and report the output.\n');
  return EXIT.internal;
}

/** Rows as columns two spaces apart, each as wide as its widest cell (the first row is usually the header). */
export function formatTable(rows: readonly (readonly string[])[], indent = ''): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => `${indent}${r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd()).join('\n');
}
