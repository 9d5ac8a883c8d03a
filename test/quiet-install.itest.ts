import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../packages/switchyard/test/support/cli.js';

/**
 * A first start prints one line per step, never what npm or apt print: that goes to a log under
 * $SWITCHYARD_RUN/logs, named (with its last lines) when a step fails.
 */

function executable(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

/** scripts/bootstrap in a checkout of its own, with an npm that prints what the real one does and exits with `npmExit`. */
function checkout(npmExit: number): { root: string; run: string; bin: string } {
  const root = mkdtempSync(join(tmpdir(), 'sy-bootstrap-'));
  mkdirSync(join(root, 'scripts'));
  copyFileSync(join(REPO_ROOT, 'scripts/bootstrap'), join(root, 'scripts/bootstrap'));
  writeFileSync(join(root, 'package-lock.json'), '{"lockfileVersion": 3}\n');
  const bin = join(root, 'bin');
  mkdirSync(bin);
  executable(
    join(bin, 'npm'),
    `#!/bin/sh\necho "added 341 packages in 25s"\necho "npm warn EBADENGINE Unsupported engine" >&2\nexit ${npmExit}\n`,
  );
  mkdirSync(join(root, 'node_modules/.bin'), { recursive: true });
  // tsc -b stands in for the build: it writes the CLI the bootstrap makes executable.
  executable(
    join(root, 'node_modules/.bin/tsc'),
    '#!/bin/sh\nmkdir -p packages/switchyard/dist/cli && touch packages/switchyard/dist/cli/main.js\n',
  );
  return { root, run: join(root, 'run'), bin };
}

function bootstrap(c: { root: string; run: string; bin: string }) {
  const r = spawnSync(join(c.root, 'scripts/bootstrap'), {
    env: { ...process.env, PATH: `${c.bin}:${process.env.PATH}`, SWITCHYARD_RUN: c.run },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('scripts/bootstrap', () => {
  it('says one line per step on a fresh checkout, then nothing; npm talks to its log only', () => {
    const c = checkout(0);
    const first = bootstrap(c);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe('');
    expect(first.stderr).toBe(
      'switchyard: installing npm dependencies (npm ci)…\nswitchyard: building the TypeScript packages (tsc -b)…\n',
    );
    const log = readFileSync(join(c.run, 'logs/npm.log'), 'utf8');
    expect(log).toContain('added 341 packages');
    expect(log).toContain('npm warn EBADENGINE');

    const again = bootstrap(c);
    expect([again.code, again.stdout, again.stderr]).toEqual([0, '', '']);
  });

  it('names the log, with its last lines, when npm fails', () => {
    const c = checkout(1);
    const r = bootstrap(c);
    expect(r.code).toBe(1);
    const log = join(c.run, 'logs/npm.log');
    expect(r.stderr).toContain('switchyard: installing npm dependencies (npm ci)…\n');
    expect(r.stderr).toContain('    npm warn EBADENGINE Unsupported engine\n');
    expect(r.stderr).toContain(`switchyard: npm ci failed (exit 1); its whole output is in ${log}\n`);
  });
});

describe('test/infra apt_install', () => {
  it('keeps apt quiet and, when it fails, names its log', () => {
    const run = mkdtempSync(join(tmpdir(), 'sy-apt-'));
    // A name Debian does not have: apt-get update runs for real, the install fails, nothing changes.
    const r = spawnSync(
      'bash',
      ['-c', `source ${join(REPO_ROOT, 'test/infra/lib.sh')} && apt_install switchyard-no-such-package`],
      { env: { ...process.env, SWITCHYARD_RUN: run }, encoding: 'utf8' },
    );
    const log = join(run, 'logs/apt.log');
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/\[infra\] apt: installing switchyard-no-such-package \(log: .*\/logs\/apt\.log\)$/);
    expect(lines.at(-1)).toMatch(new RegExp(`WARN: apt-get failed \\(exit 100\\); its whole output is in ${log}$`));
    // Between them, only the failing step's last lines, indented.
    expect(lines.slice(1, -1).every((l) => l.startsWith('    '))).toBe(true);
    expect(lines.length).toBeLessThanOrEqual(17);
    expect(readFileSync(log, 'utf8')).toContain('Unable to locate package switchyard-no-such-package');
  });
});
