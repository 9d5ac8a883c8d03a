import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../packages/switchyard/test/support/cli.js';

/** Every script caches under ${XDG_CACHE_HOME:-~/.cache}/switchyard, unless SWITCHYARD_CACHE names the place. */

const LIBS = [
  { lib: 'test/infra/lib.sh', variable: 'SWITCHYARD_CACHE', under: '' },
  { lib: 'test/k8s/lib.sh', variable: 'K8S_CACHE_ROOT', under: '/k8s' },
  { lib: 'deploy/lib.sh', variable: 'DEPLOY_CACHE', under: '' },
];

function cacheOf(lib: string, variable: string, env: Record<string, string>): string {
  const clean = { ...process.env };
  delete clean.SWITCHYARD_CACHE;
  delete clean.XDG_CACHE_HOME;
  const r = spawnSync('bash', ['-c', `source ${join(REPO_ROOT, lib)} && printf %s "$${variable}"`], {
    env: { ...clean, HOME: '/home/editor', ...env },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe('the scripts’ cache directory', () => {
  for (const { lib, variable, under } of LIBS)
    it(`${lib}: XDG_CACHE_HOME, else ~/.cache; SWITCHYARD_CACHE wins`, () => {
      expect(cacheOf(lib, variable, {})).toBe(`/home/editor/.cache/switchyard${under}`);
      expect(cacheOf(lib, variable, { XDG_CACHE_HOME: '/var/cache/ci' })).toBe(`/var/cache/ci/switchyard${under}`);
      expect(cacheOf(lib, variable, { XDG_CACHE_HOME: '/var/cache/ci', SWITCHYARD_CACHE: '/mnt/sy' })).toBe(
        `/mnt/sy${under}`,
      );
    });

  it('no script names ~/.cache/switchyard but through XDG_CACHE_HOME', () => {
    const r = spawnSync(
      'git',
      ['grep', '-nE', String.raw`(HOME|~)[^ ]*/\.cache/switchyard`, '--', 'switchyard', 'scripts', 'test', 'deploy'],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    const hardcoded = r.stdout
      .split('\n')
      .filter((l) => l !== '' && !l.includes('XDG_CACHE_HOME') && !/\.(ts|md)[:]/.test(l));
    expect(hardcoded).toEqual([]);
  });
});
