import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ABANDONED_AFTER_MS, LocalDirectoryStore } from './local.js';
import { ObjectNotFound } from './port.js';
import { sha256, spool } from './spool.js';

describe('LocalDirectoryStore', () => {
  const root = mkdtempSync(join(tmpdir(), 'swy-local-store-'));
  const store = new LocalDirectoryStore(root);

  it('writes an output once: the first complete write wins, later ones are told and discarded', async () => {
    const first = await store.putIfAbsent('outputs/t1', 'first');
    const second = await store.putIfAbsent('outputs/t1', Readable.from([Buffer.from('second')]));
    expect(first).toEqual({ created: true, sha256: sha256(Buffer.from('first')), bytes: 5 });
    expect(second).toEqual({ created: false, sha256: sha256(Buffer.from('first')), bytes: 5 });
    expect(await readFile(join(root, 'outputs/t1'), 'utf8')).toBe('first');
  });

  it('lets exactly one of many concurrent writers of a key win', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.putIfAbsent('outputs/race', `writer ${i}`)),
    );
    const winners = results.filter((r) => r.created);
    expect(winners).toHaveLength(1);
    expect(await readFile(join(root, 'outputs/race'), 'utf8')).toBe(
      `writer ${results.indexOf(winners[0] as (typeof results)[number])}`,
    );
    expect(await readdir(join(root, '.tmp'))).toEqual([]);
  });

  it('accepts a body spooled elsewhere (another file system) without losing it', async () => {
    const part = await spool(Readable.from([Buffer.from('spooled')]));
    expect((await store.putIfAbsent('outputs/spooled', part)).created).toBe(true);
    await part.cleanup();
    expect(await readFile(join(root, 'outputs/spooled'), 'utf8')).toBe('spooled');
  });

  it('streams inputs and reports missing ones', async () => {
    await store.put('inputs/a', Buffer.alloc(300_000, 1));
    let bytes = 0;
    for await (const chunk of await store.read('inputs/a')) bytes += (chunk as Buffer).length;
    expect(bytes).toBe(300_000);
    await expect(store.read('inputs/missing')).rejects.toBeInstanceOf(ObjectNotFound);
    expect(await store.head('inputs/missing')).toBeUndefined();
  });

  it('writes empty outputs once each, in place, leaving nothing behind in its temporary directory', async () => {
    const empty = sha256(Buffer.alloc(0));
    const before = await readdir(join(root, '.tmp'));
    expect(await store.putIfAbsent('outputs/e1', '')).toEqual({ created: true, sha256: empty, bytes: 0 });
    expect(await store.putIfAbsent('outputs/e2', new Uint8Array(0))).toEqual({
      created: true,
      sha256: empty,
      bytes: 0,
    });
    // Already there (empty or not): kept, and the caller is told what it holds.
    expect(await store.putIfAbsent('outputs/e1', '')).toEqual({ created: false, sha256: empty, bytes: 0 });
    expect(await store.putIfAbsent('outputs/t1', '')).toEqual({
      created: false,
      sha256: sha256(Buffer.from('first')),
      bytes: 5,
    });
    const [a, b] = await Promise.all([stat(join(root, 'outputs/e1')), stat(join(root, 'outputs/e2'))]);
    expect(a.ino).not.toBe(b.ino);
    expect([a.size, b.size]).toEqual([0, 0]);
    expect(await readdir(join(root, '.tmp'))).toEqual(before);
    // A non-empty output under a key that is already an empty output: the empty one stays.
    expect(await store.putIfAbsent('outputs/e1', 'late')).toEqual({ created: false, sha256: empty, bytes: 0 });
    expect(await readFile(join(root, 'outputs/e1'), 'utf8')).toBe('');
  });

  it('removes (when it opens) temporary files abandoned by writers that died, and only those', async () => {
    const tmp = join(root, '.tmp');
    const abandoned = join(tmp, 'part-4242-0');
    const fresh = join(tmp, 'part-4243-0');
    writeFileSync(abandoned, 'half an output');
    writeFileSync(fresh, 'being written');
    const longAgo = (Date.now() - ABANDONED_AFTER_MS - 60_000) / 1000;
    utimesSync(abandoned, longAgo, longAgo);
    expect(await store.sweep()).toBe(1);
    expect((await readdir(tmp)).sort()).toEqual(['part-4243-0']);
    // Outputs are never touched, however old.
    const old = join(root, 'outputs/t1');
    utimesSync(old, longAgo, longAgo);
    expect(await store.sweep(Date.now() + 2 * ABANDONED_AFTER_MS)).toBe(1);
    expect(await readFile(old, 'utf8')).toBe('first');
    expect(await readdir(tmp)).toEqual([]);
  });

  it('refuses keys that escape its directory', async () => {
    await expect(store.putIfAbsent('../outside', 'x')).rejects.toThrow(/escapes/);
  });
});
