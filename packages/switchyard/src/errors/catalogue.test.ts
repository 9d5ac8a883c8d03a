import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../testing/cli.js';
import { catalogue, EXIT, SwitchyardError, type ErrorCode } from './index.js';

const STATUS_BY_KIND: Record<string, number[]> = {
  input: [400, 413, 414, 422],
  'not-found': [404],
  conflict: [409],
  forbidden: [403],
  unauthenticated: [401],
  unavailable: [500, 502, 503, 504],
  throttled: [429],
  internal: [500],
};

describe('error catalogue', () => {
  const codes = Object.keys(catalogue) as ErrorCode[];

  it.each(codes)('%s is well formed', (code) => {
    const entry = catalogue[code];
    expect(code).toMatch(/^SWY_[A-Z]+_[A-Z_]+$/);
    expect(entry.message.length).toBeGreaterThan(10);
    expect(entry.message).not.toMatch(/\.$/);
    expect(entry.hint).toMatch(/^[A-Z].*\.$/);
    expect(STATUS_BY_KIND[entry.kind]).toContain(entry.status);
    expect(Object.values(EXIT)).toContain(entry.exit);
    expect(entry.exit).not.toBe(0);
  });

  it('has one anchor per code in docs/errors.md, and no stale ones', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs/errors.md'), 'utf8');
    const documented = [...doc.matchAll(/^## (SWY_[A-Z_]+)$/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...codes].sort());
  });

  it('carries code, status, exit and hint on every error', () => {
    const err = new SwitchyardError('SWY_SPEC_ENV_NOT_FOUND', { message: 'The environment qa does not exist', details: { environment: 'qa' } });
    expect(err).toBeInstanceOf(Error);
    expect(err.status).toBe(404);
    expect(err.exit).toBe(EXIT.notFound);
    expect(err.toJSON()).toEqual({ code: 'SWY_SPEC_ENV_NOT_FOUND', message: 'The environment qa does not exist', hint: catalogue.SWY_SPEC_ENV_NOT_FOUND.hint, details: { environment: 'qa' } });
  });

  it('keeps the cause chain', () => {
    const cause = new Error('EACCES');
    expect(new SwitchyardError('SWY_RENDER_OUTPUT', { cause }).cause).toBe(cause);
  });
});
