import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { SwitchyardError } from '../errors/index.js';
import { toFiles, type RenderedUnit } from '../render/index.js';
import { Git, gitFailed } from './git.js';
import { clearStaleLocks } from './locks.js';
import {
  MANIFEST_FILE,
  RELEASE_TRAILER,
  type CommitInfo,
  type CommitResult,
  type ConfigChange,
  type ConfigRepo,
  type HistoryEntry,
  type HistoryQuery,
  type Person,
  type ReleaseManifest,
  type ServiceManifest,
  type ServiceSnapshot,
} from './types.js';

export interface GitConfigRepoOptions {
  /** The working copy; created (git init, or a clone of `remote`) when missing. */
  readonly dir: string;
  /** A URL or path git can fetch and push without a prompt; every commit is pushed there. */
  readonly remote?: string;
  /** Default `main`. */
  readonly branch?: string;
  /** Default Switchyard <switchyard@localhost>; the author is the person asking for the change. */
  readonly committer?: Person;
  /** Default $SWITCHYARD_GIT_BIN or `git`. */
  readonly git?: string;
  /** How long to wait for another live git process to release its lock (default 5 s). */
  readonly lockWaitMs?: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const FIELD = '\x1f';
const RECORD = '\x1e';
const DEFAULT_COMMITTER: Person = { name: 'Switchyard', email: 'switchyard@localhost' };

/** Runs work one at a time, in arrival order. */
class Queue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** One writer per working copy in this process; git's own locks guard against others. */
const queues = new Map<string, Queue>();

function invalidName(what: string, value: string): SwitchyardError {
  return new SwitchyardError('SWY_REPO_PATH_INVALID', { message: `The ${what} ${JSON.stringify(value)} cannot name a directory of the config repository`, details: { [what]: value } });
}

function isRemoteFailure(err: unknown): err is SwitchyardError {
  return err instanceof SwitchyardError && err.code === 'SWY_REPO_REMOTE_FAILED';
}

function checkName(what: string, value: string): void {
  if (!NAME.test(value) || value === '.git') throw invalidName(what, value);
}

function checkFile(service: string, path: string): void {
  const segments = path.split('/');
  if (path === MANIFEST_FILE || segments.some((s) => !NAME.test(s))) {
    throw new SwitchyardError('SWY_REPO_PATH_INVALID', {
      message: `The file ${JSON.stringify(path)} of ${service} cannot be written to the config repository: ${path === MANIFEST_FILE ? `${MANIFEST_FILE} is written from the manifest` : 'each part of its path must be a simple name inside the service directory'}`,
      details: { service, file: path },
    });
  }
}

function checkTrailer(key: string, value: string): void {
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(key) || /[\r\n]/.test(value) || value.trim() === '') {
    throw new SwitchyardError('SWY_REPO_PATH_INVALID', { message: `The commit trailer ${JSON.stringify(`${key}: ${value}`)} is invalid: a key of letters, digits and dashes, a one-line value`, details: { key } });
  }
}

/** Text never becomes trailers: git would join the real ones to a last paragraph of `Key: value` lines. */
function checkMessage(message: string): void {
  const { trailers } = splitTrailers(message);
  if (Object.keys(trailers).length > 0 || /\0/.test(message)) {
    throw new SwitchyardError('SWY_REPO_MESSAGE_INVALID', {
      message: `The commit message ends in lines that read as trailers (${Object.keys(trailers).join(', ') || 'a NUL byte'}); trailers are passed apart from the text`,
      details: { trailers: Object.keys(trailers) },
    });
  }
}

/** The files of one rendered unit, named as `commit` expects them (`<kind>-<name>.yaml`). */
export function serviceFiles(rendered: RenderedUnit): Map<string, string> {
  const prefix = `${rendered.unit.name}/`;
  return new Map([...toFiles([rendered])].map(([path, content]) => [path.startsWith(prefix) ? path.slice(prefix.length) : path, content]));
}

/** Sorted keys, two spaces, final newline: byte-identical for equal content. */
function manifestText(environment: string, service: string, manifest: ReleaseManifest): string {
  const sort = (value: unknown): unknown =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, sort(v)]))
      : value;
  return `${JSON.stringify(sort({ ...manifest, environment, service }), null, 2)}\n`;
}

function parseManifest(text: string | undefined): ServiceManifest | null {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as ServiceManifest;
  } catch {
    return null;
  }
}

/** Splits a message into text and trailers (the last paragraph, when every line of it is `Key: value`). */
function splitTrailers(body: string): { message: string; trailers: Record<string, string> } {
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

async function listFiles(root: string, dir = root): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(root, full)));
    else out.push(relative(root, full));
  }
  return out;
}

async function removeEmptyDirs(dir: string, stop: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) if (e.isDirectory()) await removeEmptyDirs(join(dir, e.name), stop);
  if (dir !== stop && (await readdir(dir).catch(() => ['?'])).length === 0) await rmdir(dir).catch(() => undefined);
}

/** The config repository as a git working copy, optionally mirrored to a remote. */
export class GitConfigRepo implements ConfigRepo {
  readonly dir: string;
  readonly remote: string | undefined;
  readonly branch: string;
  private readonly committer: Person;
  private readonly git: Git;
  private readonly queue: Queue;
  private readonly lockWaitMs: number;
  private ready: Promise<void> | undefined;

  constructor(options: GitConfigRepoOptions) {
    this.dir = resolve(options.dir);
    this.remote = options.remote;
    this.branch = options.branch ?? 'main';
    this.committer = options.committer ?? DEFAULT_COMMITTER;
    this.lockWaitMs = options.lockWaitMs ?? 5_000;
    this.git = new Git(this.dir, options.git ?? process.env['SWITCHYARD_GIT_BIN'] ?? 'git');
    let queue = queues.get(this.dir);
    if (!queue) queues.set(this.dir, (queue = new Queue()));
    this.queue = queue;
  }

  private get gitDir(): string {
    return join(this.dir, '.git');
  }

  /** Creates or clones the working copy once; commands wait for it. */
  open(): Promise<void> {
    this.ready ??= this.queue.run(() => this.prepare()).catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  private async prepare(): Promise<void> {
    checkName('branch', this.branch);
    const cloned = !existsSync(this.gitDir) && this.remote !== undefined;
    if (!existsSync(this.gitDir)) {
      if (this.remote) {
        await mkdir(dirname(this.dir), { recursive: true });
        const cloned = await this.git.run(['clone', '--quiet', '--origin', 'origin', this.remote, this.dir], { cwd: dirname(this.dir), ok: [128] });
        if (cloned.code !== 0) throw this.remoteFailed('clone', cloned.stderr);
      } else {
        await mkdir(this.dir, { recursive: true });
        await this.git.run(['init', '--quiet', `--initial-branch=${this.branch}`]);
      }
    } else if (this.remote) {
      const current = await this.git.run(['remote', 'get-url', 'origin'], { ok: [2] });
      if (current.code !== 0) await this.git.run(['remote', 'add', 'origin', this.remote]);
      else if (current.stdout.trim() !== this.remote) await this.git.run(['remote', 'set-url', 'origin', this.remote]);
    }
    await clearStaleLocks(this.dir, this.gitDir, this.branch, this.lockWaitMs);
    // A working copy always on our branch, even a fresh clone of an empty remote.
    const symbolic = await this.git.run(['symbolic-ref', '--quiet', 'HEAD'], { ok: [1] });
    if (symbolic.stdout.trim() !== `refs/heads/${this.branch}`) {
      const exists = (await this.git.run(['rev-parse', '--verify', '--quiet', `refs/heads/${this.branch}`], { ok: [1] })).code === 0;
      if (exists) await this.git.run(['checkout', '--quiet', this.branch]);
      else await this.git.run(['symbolic-ref', 'HEAD', `refs/heads/${this.branch}`]);
    }
    // A working copy we already have keeps serving when the remote is down; commits say so.
    if (this.remote) await this.sync().catch((err: unknown) => (cloned || !isRemoteFailure(err) ? Promise.reject(err) : undefined));
  }

  private remoteFailed(step: string, stderr: string): SwitchyardError {
    return new SwitchyardError('SWY_REPO_REMOTE_FAILED', {
      message: `git ${step} of the config repository remote ${this.remote} failed: ${stderr.trim().split('\n').slice(-3).join(' ')}`,
      details: { remote: this.remote, step },
    });
  }

  private notPushed(err: SwitchyardError, sha: string): SwitchyardError {
    return new SwitchyardError('SWY_REPO_REMOTE_FAILED', {
      message: `${err.message}; the change is committed locally as ${sha.slice(0, 12)} and is pushed with the next change once the remote answers`,
      details: { ...err.details, sha, committed: true },
      cause: err,
    });
  }

  private async headSha(): Promise<string | undefined> {
    const r = await this.git.run(['rev-parse', '--verify', '--quiet', 'HEAD'], { ok: [1] });
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  /** Brings the branch up to the remote's: fast-forward, or our unpushed commits rebased on top. */
  private async sync(): Promise<void> {
    const fetched = await this.git.run(['fetch', '--quiet', 'origin'], { ok: [1, 128] });
    if (fetched.code !== 0) throw this.remoteFailed('fetch', fetched.stderr);
    const upstream = `refs/remotes/origin/${this.branch}`;
    if ((await this.git.run(['rev-parse', '--verify', '--quiet', upstream], { ok: [1] })).code !== 0) return; // empty remote
    const head = await this.headSha();
    if (!head) {
      await this.git.run(['reset', '--quiet', '--hard', upstream]);
      return;
    }
    const [ahead = 0, behind = 0] = (await this.git.run(['rev-list', '--left-right', '--count', `HEAD...${upstream}`])).stdout.trim().split(/\s+/).map(Number);
    if (behind === 0) return;
    if (ahead === 0) {
      await this.git.run(['reset', '--quiet', '--hard', upstream]);
      return;
    }
    const rebased = await this.git.run(['rebase', '--quiet', '--no-verify', upstream], { committer: this.committer, ok: [1, 128] });
    if (rebased.code !== 0) {
      await this.git.run(['rebase', '--abort'], { ok: [1, 128] });
      throw new SwitchyardError('SWY_REPO_DIVERGED', {
        message: `The config repository ${this.dir} has ${ahead} unpushed commit(s) that conflict with ${behind} new commit(s) on ${this.remote}: ${rebased.stdout.trim().split('\n').slice(-2).join(' ')}`,
        details: { remote: this.remote, ahead, behind },
      });
    }
  }

  private async push(sha: string): Promise<void> {
    const pushed = await this.git.run(['push', '--quiet', '--no-verify', '--porcelain', 'origin', `HEAD:refs/heads/${this.branch}`], { ok: [1, 128] });
    if (pushed.code === 0) return;
    const said = `${pushed.stdout}\n${pushed.stderr}`;
    if (/\[rejected\]|\[remote rejected\]|non-fast-forward|fetch first|rejected|denied|protected/i.test(said)) {
      throw new SwitchyardError('SWY_REPO_PUSH_REJECTED', {
        message: `${this.remote} refused commit ${sha.slice(0, 12)} of the config repository: ${said.trim().split('\n').filter((l) => l && l !== 'Done').slice(-3).join(' ')}`,
        details: { remote: this.remote, sha, branch: this.branch },
      });
    }
    throw this.remoteFailed('push', pushed.stderr);
  }

  async head(): Promise<string | undefined> {
    await this.open();
    return this.headSha();
  }

  async commit(change: ConfigChange): Promise<CommitResult> {
    checkName('environment', change.environment);
    checkName('service', change.service);
    for (const path of change.files.keys()) checkFile(change.service, path);
    for (const [key, value] of Object.entries(change.trailers ?? {})) checkTrailer(key, value);
    checkMessage(change.message);
    await this.open();
    return this.queue.run(() => this.commitNow(change));
  }

  private async commitNow(change: ConfigChange): Promise<CommitResult> {
    await clearStaleLocks(this.dir, this.gitDir, this.branch, this.lockWaitMs);
    // An unreachable remote does not stop the change being recorded: it is committed locally,
    // the caller is told (with the sha), and the next commit that reaches the remote pushes it.
    const offline = this.remote ? await this.sync().then(() => undefined, (err: unknown) => (isRemoteFailure(err) ? err : Promise.reject(err))) : undefined;
    const area = `${change.environment}/${change.service}`;
    const root = join(this.dir, change.environment, change.service);
    const wanted = new Map(change.files);
    wanted.set(MANIFEST_FILE, manifestText(change.environment, change.service, change.manifest));
    // Exactly the wanted files: whatever a killed earlier attempt left half written is replaced too.
    for (const existing of await listFiles(root)) if (!wanted.has(existing)) await rm(join(root, existing), { force: true });
    for (const [path, content] of wanted) {
      const full = join(root, path);
      await mkdir(dirname(full), { recursive: true });
      if ((await readFile(full, 'utf8').catch(() => undefined)) !== content) await writeFile(full, content);
    }
    await removeEmptyDirs(root, root);
    await this.git.run(['add', '--all', '--', area]);
    const unchanged = (await this.git.run(['diff', '--cached', '--quiet', '--', area], { ok: [1] })).code === 0;
    const head = await this.headSha();
    if (unchanged && head) {
      if (this.remote && !offline && (await this.unpushed()) > 0) await this.push(head);
      return { sha: head, changed: false };
    }
    const trailers = Object.entries(change.trailers ?? {}).flatMap(([k, v]) => ['--trailer', `${k}: ${v}`]);
    await this.git.run(['commit', '--quiet', '--no-verify', '--cleanup=whitespace', '-m', change.message, ...trailers, '--', area], { author: change.author, committer: this.committer });
    const sha = (await this.headSha()) as string;
    if (offline) throw this.notPushed(offline, sha);
    if (this.remote) await this.push(sha).catch((err: unknown) => Promise.reject(isRemoteFailure(err) ? this.notPushed(err, sha) : err));
    return { sha, changed: true };
  }

  private async unpushed(): Promise<number> {
    const upstream = `refs/remotes/origin/${this.branch}`;
    const has = (await this.git.run(['rev-parse', '--verify', '--quiet', upstream], { ok: [1] })).code === 0;
    const r = await this.git.run(['rev-list', '--count', has ? `${upstream}..HEAD` : 'HEAD']);
    return Number(r.stdout.trim());
  }

  private async log(args: readonly string[]): Promise<(CommitInfo & { files: string[] })[]> {
    if (!(await this.headSha())) return [];
    const format = ['%H', '%aI', '%an', '%ae', '%B'].join(FIELD);
    const r = await this.git.run(['log', `--format=${RECORD}${format}${FIELD}`, '--name-only', ...args]);
    return r.stdout
      .split(RECORD)
      .filter((chunk) => chunk.trim() !== '')
      .map((chunk) => {
        const [sha = '', date = '', name = '', email = '', body = '', names = ''] = chunk.split(FIELD);
        const { message, trailers } = splitTrailers(body);
        return { sha, date: new Date(date), author: { name, email }, message, trailers, files: names.split('\n').filter(Boolean) };
      });
  }

  async findCommitByTrailer(key: string, value: string): Promise<CommitInfo | undefined> {
    checkTrailer(key, value);
    await this.open();
    const candidates = await this.log(['--fixed-strings', `--grep=${key}: ${value}`]);
    const found = candidates.find((c) => c.trailers[key] === value);
    if (!found) return undefined;
    const { files: _files, ...info } = found;
    return info;
  }

  async history(query: HistoryQuery): Promise<HistoryEntry[]> {
    checkName('service', query.service);
    if (query.environment !== undefined) checkName('environment', query.environment);
    await this.open();
    const pathspec = query.environment !== undefined ? `${query.environment}/${query.service}` : `:(glob)*/${query.service}/**`;
    const commits = await this.log([`--max-count=${query.limit ?? 50}`, '--', pathspec]);
    const entries = commits.map((c) => {
      const environment = query.environment ?? c.files.map((f) => f.split('/')).find((p) => p[1] === query.service)?.[0] ?? '';
      return { commit: c, environment };
    });
    const manifests = await this.readBlobs(entries.map((e) => `${e.commit.sha}:${e.environment}/${query.service}/${MANIFEST_FILE}`));
    return entries.map(({ commit, environment }, i) => {
      const { files: _files, ...info } = commit;
      return { ...info, environment, releaseId: commit.trailers[RELEASE_TRAILER] ?? null, manifest: parseManifest(manifests[i]) };
    });
  }

  async readAt(sha: string, environment: string, service: string): Promise<ServiceSnapshot> {
    checkName('environment', environment);
    checkName('service', service);
    await this.open();
    const notFound = (why: string) =>
      new SwitchyardError('SWY_REPO_NOT_FOUND', { message: `${why} in the config repository ${this.dir}`, details: { sha, environment, service } });
    if (!/^[0-9a-f]{4,64}$/i.test(sha)) throw notFound(`${JSON.stringify(sha)} is not a commit sha`);
    const resolved = await this.git.run(['rev-parse', '--verify', '--quiet', `${sha}^{commit}`], { ok: [1, 128] });
    if (resolved.code !== 0) throw notFound(`There is no commit ${sha}`);
    const commit = resolved.stdout.trim();
    const area = `${environment}/${service}`;
    const listed = await this.git.run(['ls-tree', '-r', '--name-only', '-z', commit, '--', `${area}/`]);
    const paths = listed.stdout.split('\0').filter(Boolean);
    if (paths.length === 0) throw notFound(`Commit ${commit.slice(0, 12)} has no ${service} in ${environment}`);
    const contents = await this.readBlobs(paths.map((p) => `${commit}:${p}`));
    const files = new Map<string, string>();
    let manifest: ServiceManifest | null = null;
    paths.forEach((p, i) => {
      const name = p.slice(area.length + 1);
      if (name === MANIFEST_FILE) manifest = parseManifest(contents[i]);
      else files.set(name, contents[i] ?? '');
    });
    return { sha: commit, environment, service, files, manifest };
  }

  /** Contents of `<rev>:<path>` objects through one `git cat-file --batch`; undefined for missing ones. */
  private readBlobs(specs: readonly string[]): Promise<(string | undefined)[]> {
    if (specs.length === 0) return Promise.resolve([]);
    return new Promise((resolveAll, reject) => {
      const args = ['-c', `safe.directory=${this.dir}`, 'cat-file', '--batch'];
      const child = spawn(this.git.bin, args, { cwd: this.dir, env: { ...process.env, LC_ALL: 'C', GIT_OPTIONAL_LOCKS: '0' } });
      const chunks: Buffer[] = [];
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => chunks.push(d));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        if (code !== 0) return reject(gitFailed(this.dir, args.slice(2), { code: code ?? -1, stdout: '', stderr }));
        const out = Buffer.concat(chunks);
        const results: (string | undefined)[] = [];
        let at = 0;
        for (let i = 0; i < specs.length; i++) {
          const eol = out.indexOf(0x0a, at);
          const header = out.subarray(at, eol).toString('utf8');
          at = eol + 1;
          if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
            results.push(undefined);
            continue;
          }
          const size = Number(header.split(' ')[2]);
          results.push(out.subarray(at, at + size).toString('utf8'));
          at += size + 1;
        }
        resolveAll(results);
      });
      child.stdin.end(`${specs.join('\n')}\n`);
    });
  }
}

/** Opens (creating or cloning if needed) the config repository at `options.dir`. */
export async function openConfigRepo(options: GitConfigRepoOptions): Promise<GitConfigRepo> {
  const repo = new GitConfigRepo(options);
  await repo.open();
  return repo;
}
