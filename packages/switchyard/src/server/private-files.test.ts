import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { secureDataDir, tightenedLine, writeSecretFile } from './private-files.js';

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8).padStart(4, '0');

describe('a private data directory', () => {
  it('tightens the directory, its directories and admin.token, names each change, and leaves the rest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sy-private-'));
    const outside = await mkdtemp(join(tmpdir(), 'sy-outside-'));
    chmodSync(outside, 0o755);
    mkdirSync(join(dir, 'store/pgdata'), { recursive: true });
    mkdirSync(join(dir, 'routers'));
    writeFileSync(join(dir, 'admin.token'), 'swy_x\n');
    writeFileSync(join(dir, 'processes.json'), '[]');
    symlinkSync(outside, join(dir, 'objects'));
    for (const d of [dir, join(dir, 'store'), join(dir, 'store/pgdata')]) chmodSync(d, 0o755);
    chmodSync(join(dir, 'routers'), 0o750);
    chmodSync(join(dir, 'admin.token'), 0o644);
    chmodSync(join(dir, 'processes.json'), 0o644);

    const changes = await secureDataDir(dir, ['logs']);
    expect(changes).toEqual([
      `${dir} 0755 → 0700`,
      'admin.token 0644 → 0600',
      'routers 0750 → 0700',
      'store 0755 → 0700',
    ]);
    expect(tightenedLine(changes)).toBe(`made private what was readable by others: ${changes.join(', ')}`);
    expect([dir, join(dir, 'store'), join(dir, 'routers'), join(dir, 'logs')].map(mode)).toEqual([
      '0700',
      '0700',
      '0700',
      '0700',
    ]);
    expect(mode(join(dir, 'admin.token'))).toBe('0600');
    // Beneath a private directory, nothing needs tightening; a link's target is not ours to change.
    expect(mode(join(dir, 'store/pgdata'))).toBe('0755');
    expect(mode(join(dir, 'processes.json'))).toBe('0644');
    expect(mode(outside)).toBe('0755');

    expect(await secureDataDir(dir, ['logs'])).toEqual([]);
  });

  it('creates a missing data directory and its parents private, whatever the umask', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'sy-private-')), 'state/switchyard/sandbox');
    expect(await secureDataDir(dir, ['store', 'config-repo'])).toEqual([]);
    expect([join(dir, '../..'), join(dir, '..'), dir, join(dir, 'store'), join(dir, 'config-repo')].map(mode)).toEqual([
      '0700',
      '0700',
      '0700',
      '0700',
      '0700',
    ]);
  });

  it('writes a secret file 0600 over a looser one, whole, leaving no temporary file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sy-private-'));
    const file = join(dir, 'credentials.json');
    writeFileSync(file, '{"old": "swy_old"}\n');
    chmodSync(file, 0o644);
    await writeSecretFile(file, '{"new": "swy_new"}\n');
    expect(mode(file)).toBe('0600');
    expect(readFileSync(file, 'utf8')).toBe('{"new": "swy_new"}\n');
    expect(readdirSync(dir)).toEqual(['credentials.json']);
  });
});
