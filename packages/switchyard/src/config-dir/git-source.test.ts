import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GitSource, isGitUrl } from './git-source.js';

describe('a configuration given to the server', () => {
  it('is a git repository when it is a URL or a bare repository, a directory otherwise', () => {
    for (const url of [
      'https://git.example.com/config.git',
      'ssh://git@host/c',
      'git@github.com:acme/config',
      'file:///srv/config.git',
    ])
      expect(isGitUrl(url), url).toBe(true);
    const bare = mkdtempSync(join(tmpdir(), 'sy-bare-'));
    writeFileSync(join(bare, 'HEAD'), 'ref: refs/heads/main\n');
    mkdirSync(join(bare, 'objects'));
    expect(isGitUrl(bare)).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'sy-dir-'));
    mkdirSync(join(dir, 'services'));
    expect(isGitUrl(dir)).toBe(false);
    expect(isGitUrl(join(dir, 'missing'))).toBe(false);
  });

  it('never shows a password or token of its URL', () => {
    expect(new GitSource({ url: 'https://x-token:abc@host/c.git', dir: '/tmp/unused' }).label).not.toContain('abc');
  });

  it('refuses a --path outside the repository', () => {
    for (const path of ['../elsewhere', '/etc'])
      expect(() => new GitSource({ url: 'file:///c.git', dir: '/tmp/unused', path })).toThrow(
        expect.objectContaining({ code: 'SWY_CLI_USAGE' }),
      );
    expect(new GitSource({ url: 'file:///c.git', dir: '/tmp/unused', path: 'deploy/' }).path).toBe('deploy');
  });
});
