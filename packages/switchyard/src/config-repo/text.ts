import { toFiles, type RenderedUnit } from '../render/index.js';
import type { CommitInfo, ReleaseManifest, ServiceManifest } from './types.js';

/**
 * The repository's text: the files of a service, its release.json, commit trailers and the
 * log format history parses. Pure: the same input always gives the same bytes.
 */

/** The files of one rendered unit, named as `commit` expects them (`<kind>-<name>.yaml`). */
export function serviceFiles(rendered: RenderedUnit): Map<string, string> {
  const prefix = `${rendered.unit.name}/`;
  return new Map(
    [...toFiles([rendered])].map(([path, content]) => [
      path.startsWith(prefix) ? path.slice(prefix.length) : path,
      content,
    ]),
  );
}

/** Sorted keys, two spaces, final newline: byte-identical for equal content. */
export function manifestText(environment: string, service: string, manifest: ReleaseManifest): string {
  const sort = (value: unknown): unknown =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(
          Object.entries(value as Record<string, unknown>)
            .filter(([, v]) => v !== undefined)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([k, v]) => [k, sort(v)]),
        )
      : value;
  return `${JSON.stringify(sort({ ...manifest, environment, service }), null, 2)}\n`;
}

export function parseManifest(text: string | undefined): ServiceManifest | null {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as ServiceManifest;
  } catch {
    return null;
  }
}

/** Splits a message into text and trailers (the last paragraph, when every line of it is `Key: value`). */
export function splitTrailers(body: string): { message: string; trailers: Record<string, string> } {
  const text = body.replace(/\s+$/, '');
  const cut = text.lastIndexOf('\n\n');
  const last = cut === -1 ? '' : text.slice(cut + 2);
  const lines = last.split('\n');
  if (cut === -1 || !lines.every((l) => /^[A-Za-z][A-Za-z0-9-]*: .+$/.test(l))) return { message: text, trailers: {} };
  const trailers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(': ');
    trailers[line.slice(0, i)] = line.slice(i + 2);
  }
  return { message: text.slice(0, cut), trailers };
}

/** A commit as `git log --name-only` printed it, with the files it touched. */
export type LoggedCommit = CommitInfo & { readonly files: readonly string[] };

const FIELD = '\x1f';
const RECORD = '\x1e';

/** The `git log` arguments whose output `parseLog` reads: fields and records apart by control characters no message holds. */
export const LOG_ARGS: readonly string[] = [
  `--format=${RECORD}${['%H', '%aI', '%an', '%ae', '%B'].join(FIELD)}${FIELD}`,
  '--name-only',
];

export function parseLog(output: string): LoggedCommit[] {
  return output
    .split(RECORD)
    .filter((chunk) => chunk.trim() !== '')
    .map((chunk) => {
      const [sha = '', date = '', name = '', email = '', body = '', names = ''] = chunk.split(FIELD);
      const { message, trailers } = splitTrailers(body);
      return {
        sha,
        date: new Date(date),
        author: { name, email },
        message,
        trailers,
        files: names.split('\n').filter(Boolean),
      };
    });
}
