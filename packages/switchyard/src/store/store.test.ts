import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ACTIVE_STATUSES, type ReleaseStatus } from '../release/index.js';
import { describeStoreContract, failure } from '../../test/support/store-contract.js';
import { EMBEDDED_DATA, EMBEDDED_LOCK } from './embedded.js';
import {
  createRelease,
  getRelease,
  listAudit,
  openStore,
  parseStoreLocation,
  StoreReleaseRepository,
} from './index.js';

const DIST_STORE = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/store/index.js');

// initdb of a new embedded store takes ~12 s; the suite copies one initialised once per
// PGlite version instead (opening a copy takes ~1.5 s).
const require = createRequire(import.meta.url);
const PGLITE_VERSION = (
  JSON.parse(readFileSync(join(dirname(require.resolve('@electric-sql/pglite')), '../package.json'), 'utf8')) as {
    version: string;
  }
).version;
const TEMPLATE = join(tmpdir(), `switchyard-pglite-template-${PGLITE_VERSION}`);

async function template(): Promise<string> {
  if (existsSync(join(TEMPLATE, EMBEDDED_DATA, 'PG_VERSION'))) return TEMPLATE;
  const building = `${TEMPLATE}.building-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const store = await openStore(building, { migrate: false });
  await store.close();
  // Another test file may have finished first: keep theirs.
  await rename(building, TEMPLATE).catch(() => rm(building, { recursive: true, force: true }));
  return TEMPLATE;
}

const created: string[] = [];
async function freshDir(): Promise<string> {
  const source = join(await template(), EMBEDDED_DATA);
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-store-'));
  created.push(dir);
  await cp(source, join(dir, EMBEDDED_DATA), { recursive: true });
  return dir;
}

afterAll(async () => {
  for (const dir of created) await rm(dir, { recursive: true, force: true });
});

describeStoreContract({
  engine: 'embedded',
  async fresh(options = {}) {
    return { store: await openStore(await freshDir(), options) };
  },
});

describe('store location', () => {
  it('picks the engine from the location', () => {
    expect(parseStoreLocation('postgres://u@db:5432/switchyard')).toEqual({
      engine: 'postgres',
      url: 'postgres://u@db:5432/switchyard',
    });
    expect(parseStoreLocation('postgresql://u@db/s')).toEqual({ engine: 'postgres', url: 'postgresql://u@db/s' });
    expect(parseStoreLocation('file:///var/lib/switchyard')).toEqual({
      engine: 'embedded',
      directory: '/var/lib/switchyard',
    });
    expect(parseStoreLocation('/var/lib/switchyard')).toEqual({ engine: 'embedded', directory: '/var/lib/switchyard' });
    expect(parseStoreLocation('.switchyard/state')).toEqual({ engine: 'embedded', directory: '.switchyard/state' });
  });

  it('refuses other schemes without echoing a password', async () => {
    for (const location of ['mysql://root:hunter2@db/x', '', 'file://host/share']) {
      const err = await failure(Promise.resolve().then(() => parseStoreLocation(location)));
      expect(err.code).toBe('SWY_STORE_URL_INVALID');
      expect(err.message).not.toContain('hunter2');
    }
    expect(await failure(openStore('/tmp/x', { schema: 'swy' }))).toMatchObject({ code: 'SWY_STORE_URL_INVALID' });
  });

  it('says which directory cannot be opened', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-store-'));
    created.push(dir);
    const file = join(dir, 'a-file');
    await writeFile(file, 'not a directory');
    const err = await failure(openStore(join(file, 'store')));
    expect(err.code).toBe('SWY_STORE_OPEN_FAILED');
    expect(err.message).toContain(join(file, 'store'));
  });
});

describe('the release repository on the store', () => {
  it('resumes exactly the releases the engine calls active', async () => {
    const store = await openStore(await freshDir());
    try {
      const every: ReleaseStatus[] = [
        'running',
        'paused',
        'rolling-back',
        'succeeded',
        'rolled-back',
        'aborted',
        'failed',
      ];
      for (const status of every) {
        const service = `api-${status}`;
        await createRelease(store, {
          service,
          environment: 'production',
          version: '2.0.0',
          plan: {},
          state: { service, status },
          status,
          createdBy: 'alice',
        });
      }
      const repository = new StoreReleaseRepository(store);
      expect((await repository.active('production')).map((r) => r.status).sort()).toEqual([...ACTIVE_STATUSES].sort());
      for (const status of every) {
        expect((await repository.activeFor(`api-${status}`, 'production'))?.status).toBe(
          ACTIVE_STATUSES.includes(status) ? status : undefined,
        );
      }
    } finally {
      await store.close();
    }
  });
});

describe('embedded store durability and locking', () => {
  it('refuses a second opener while the store is open', async () => {
    const dir = await freshDir();
    const store = await openStore(dir);
    try {
      const err = await failure(openStore(dir));
      expect(err).toMatchObject({ code: 'SWY_STORE_LOCKED', details: { pid: process.pid } });
      expect(err.message).toContain('already open in this process');
    } finally {
      await store.close();
    }
    // Closed: free again.
    await (await openStore(dir)).close();
  });

  it('keeps every committed write when the process holding it is killed with SIGKILL', async () => {
    if (!existsSync(DIST_STORE))
      throw new Error(`${DIST_STORE} is missing: run scripts/bootstrap (test/run does) before the tests`);
    const dir = await freshDir();
    const writer = join(dir, 'writer.mjs');
    await writeFile(
      writer,
      `const store = await import(${JSON.stringify(pathToFileURL(DIST_STORE).href)});
const db = await store.openStore(process.argv[2]);
const release = await store.createRelease(db, { service: 'api', environment: 'production', version: '2.0.0', plan: {}, state: { stage: 0 }, createdBy: 'writer' });
process.stdout.write('release ' + release.id + '\\n');
for (let i = 0; ; i++) {
  const entry = await store.appendAudit(db, { actor: 'writer', action: 'write', target: String(i), outcome: 'ok' });
  process.stdout.write('committed ' + entry.seq + '\\n');
}
`,
    );
    const child = spawn(process.execPath, [writer, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((done) => child.on('exit', (_code, signal) => done(signal)));
    await new Promise<void>((done, fail) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if ((out.match(/^committed /gm) ?? []).length >= 25) done();
      });
      child.on('exit', (code) => fail(new Error(`the writer exited (${code}) before committing: ${err}`)));
    });
    // While it runs, the store is its alone.
    expect(await failure(openStore(dir))).toMatchObject({ code: 'SWY_STORE_LOCKED', details: { pid: child.pid } });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const releaseId = /^release (\S+)$/m.exec(out)?.[1];
    const committed = [...out.matchAll(/^committed (\d+)$/gm)].map((m) => Number(m[1]));
    expect(committed.length).toBeGreaterThanOrEqual(25);
    // The dead writer's lock file is left behind, and taken over.
    expect((await readFile(join(dir, EMBEDDED_LOCK), 'utf8')).split(' ')[0]).toBe(String(child.pid));
    const store = await openStore(dir);
    try {
      expect(await getRelease(store, releaseId as string)).toMatchObject({
        service: 'api',
        createdBy: 'writer',
        state: { stage: 0 },
      });
      const seqs = new Set((await listAudit(store, { actor: 'writer', limit: 100_000 })).map((e) => e.seq));
      expect(committed.filter((seq) => !seqs.has(seq))).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
