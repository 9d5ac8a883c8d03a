import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../test/support/cli.js';
import { catalogue, EXIT, EXIT_MEANINGS, KIND_DEFAULTS, SwitchyardError, type ErrorCode } from './index.js';

const SRC = join(REPO_ROOT, 'packages/switchyard/src');

/** The platform's source, tests left out (test support lives outside src/): a code only a test names is raised by nothing. */
function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(e.name) &&
      !/\.(test|itest)\.tsx?$/.test(e.name) &&
      relative(SRC, path) !== join('errors', 'catalogue.ts')
      ? [path]
      : [];
  });
}

describe('error catalogue', () => {
  const codes = Object.keys(catalogue) as ErrorCode[];

  it.each(codes)('%s is well formed', (code) => {
    const entry = catalogue[code];
    expect(code).toMatch(/^SWY_[A-Z]+_[A-Z_]+$/);
    expect(entry.message.length).toBeGreaterThan(10);
    expect(entry.message).not.toMatch(/\.$/);
    expect(entry.hint).toMatch(/^[A-Z].*\.$/);
    // An entry may differ from its kind's status, never leave its class (4xx for the caller's part, 5xx for the server's).
    expect(Math.floor(entry.status / 100)).toBe(Math.floor(KIND_DEFAULTS[entry.kind].status / 100));
    expect(Object.values(EXIT)).toContain(entry.exit);
    const outcomes: number[] = [
      EXIT.ok,
      EXIT.policyWarning,
      EXIT.policyError,
      EXIT.releaseRolledBack,
      EXIT.releaseFailed,
      EXIT.interrupted,
      EXIT.readerGone,
    ];
    expect(outcomes).not.toContain(entry.exit);
  });

  it('takes status and exit from the kind unless the entry says otherwise', () => {
    expect(catalogue.SWY_RELEASE_CONFLICT).toMatchObject(KIND_DEFAULTS.conflict);
    expect(catalogue.SWY_API_TOO_MANY_FAILURES).toMatchObject({ status: 429, exit: EXIT.unavailable });
    expect(catalogue.SWY_API_BODY_TOO_LARGE).toMatchObject({
      kind: 'input',
      status: 413,
      exit: KIND_DEFAULTS.input.exit,
    });
    expect(catalogue.SWY_SPEC_INVALID).toMatchObject({
      kind: 'input',
      status: KIND_DEFAULTS.input.status,
      exit: EXIT.invalidSpec,
    });
  });

  it('gives every exit code one meaning', () => {
    expect(new Set(Object.values(EXIT)).size).toBe(Object.keys(EXIT).length);
    for (const name of Object.keys(EXIT)) expect(EXIT_MEANINGS[name as keyof typeof EXIT]).toMatch(/^\S.*[^.]$/);
  });

  it('has no code that nothing raises', () => {
    const named = new Set(
      sourceFiles().flatMap((file) =>
        [...readFileSync(file, 'utf8').matchAll(/['"`](SWY_[A-Z_]+)['"`]/g)].map((m) => m[1]),
      ),
    );
    expect(codes.filter((code) => !named.has(code))).toEqual([]);
  });

  it('has one anchor per code in docs/errors.md, and no stale ones', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs/errors.md'), 'utf8');
    const documented = [...doc.matchAll(/^## (SWY_[A-Z_]+)$/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...codes].sort());
  });

  it('carries code, status, exit and hint on every error', () => {
    const err = new SwitchyardError('SWY_SPEC_ENV_NOT_FOUND', {
      message: 'The environment qa does not exist',
      details: { environment: 'qa' },
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.status).toBe(404);
    expect(err.exit).toBe(EXIT.notFound);
    expect(err.toJSON()).toEqual({
      code: 'SWY_SPEC_ENV_NOT_FOUND',
      message: 'The environment qa does not exist',
      hint: catalogue.SWY_SPEC_ENV_NOT_FOUND.hint,
      details: { environment: 'qa' },
    });
  });

  it('keeps the cause chain', () => {
    const cause = new Error('EACCES');
    expect(new SwitchyardError('SWY_RENDER_OUTPUT', { cause }).cause).toBe(cause);
  });
});
