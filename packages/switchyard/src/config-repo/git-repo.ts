import { join, resolve } from 'node:path';
import { checkFile, checkMessage, checkName, checkTrailer } from './checks.js';
import { Git } from './git.js';
import { History } from './history.js';
import { writerQueue, type Queue } from './queue.js';
import { isRemoteFailure, Remote } from './remote.js';
import { writeServiceArea } from './service-area.js';
import { manifestText } from './text.js';
import {
  MANIFEST_FILE,
  type CommitInfo,
  type CommitResult,
  type ConfigChange,
  type ConfigRepo,
  type HistoryEntry,
  type HistoryQuery,
  type Person,
  type ServiceSnapshot,
} from './types.js';
import { clearLocks, prepareWorkingCopy, type WorkingCopy } from './working-copy.js';

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

const DEFAULT_COMMITTER: Person = { name: 'Switchyard', email: 'switchyard@localhost' };

/** The config repository as a git working copy, optionally mirrored to a remote. */
export class GitConfigRepo implements ConfigRepo {
  readonly dir: string;
  readonly remote: string | undefined;
  readonly branch: string;
  private readonly committer: Person;
  private readonly git: Git;
  private readonly copy: WorkingCopy;
  private readonly past: History;
  private readonly queue: Queue;
  private ready: Promise<void> | undefined;

  constructor(options: GitConfigRepoOptions) {
    this.dir = resolve(options.dir);
    this.remote = options.remote;
    this.branch = options.branch ?? 'main';
    this.committer = options.committer ?? DEFAULT_COMMITTER;
    this.git = new Git(this.dir, options.git ?? process.env['SWITCHYARD_GIT_BIN'] ?? 'git');
    const remote =
      options.remote === undefined ? undefined : new Remote(this.git, options.remote, this.branch, this.committer);
    this.copy = { git: this.git, branch: this.branch, remote, lockWaitMs: options.lockWaitMs ?? 5_000 };
    this.past = new History(this.git);
    this.queue = writerQueue(this.dir);
  }

  /** Creates or clones the working copy once; commands wait for it. */
  open(): Promise<void> {
    this.ready ??= this.queue
      .run(() => prepareWorkingCopy(this.copy))
      .catch((err: unknown) => {
        this.ready = undefined;
        throw err;
      });
    return this.ready;
  }

  async head(): Promise<string | undefined> {
    await this.open();
    return this.git.head();
  }

  async refresh(): Promise<void> {
    await this.open();
    const { remote } = this.copy;
    if (remote)
      await this.queue.run(async () => {
        await clearLocks(this.copy);
        await remote.sync();
      });
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
    const { remote } = this.copy;
    await clearLocks(this.copy);
    // An unreachable remote does not stop the change being recorded: it is committed locally,
    // the caller is told (with the sha), and the next commit that reaches the remote pushes it.
    const offline = remote
      ? await remote.sync().then(
          () => undefined,
          (err: unknown) => (isRemoteFailure(err) ? err : Promise.reject(err)),
        )
      : undefined;
    const area = `${change.environment}/${change.service}`;
    const wanted = new Map(change.files);
    wanted.set(MANIFEST_FILE, manifestText(change.environment, change.service, change.manifest));
    await writeServiceArea(join(this.dir, change.environment, change.service), wanted);
    await this.git.run(['add', '--all', '--', area]);
    const unchanged = (await this.git.run(['diff', '--cached', '--quiet', '--', area], { ok: [1] })).code === 0;
    const head = await this.git.head();
    if (unchanged && head) {
      if (remote && !offline && (await remote.unpushed()) > 0) await remote.push(head);
      return { sha: head, changed: false };
    }
    const trailers = Object.entries(change.trailers ?? {}).flatMap(([k, v]) => ['--trailer', `${k}: ${v}`]);
    await this.git.run(
      ['commit', '--quiet', '--no-verify', '--cleanup=whitespace', '-m', change.message, ...trailers, '--', area],
      { author: change.author, committer: this.committer },
    );
    const sha = (await this.git.head()) as string;
    if (remote && offline) throw remote.notPushed(offline, sha);
    if (remote)
      await remote
        .push(sha)
        .catch((err: unknown) => Promise.reject(isRemoteFailure(err) ? remote.notPushed(err, sha) : err));
    return { sha, changed: true };
  }

  async findCommitByTrailer(key: string, value: string): Promise<CommitInfo | undefined> {
    checkTrailer(key, value);
    await this.open();
    return this.past.findByTrailer(key, value);
  }

  async history(query: HistoryQuery): Promise<HistoryEntry[]> {
    checkName('service', query.service);
    if (query.environment !== undefined) checkName('environment', query.environment);
    await this.open();
    return this.past.of(query);
  }

  async readAt(sha: string, environment: string, service: string): Promise<ServiceSnapshot> {
    checkName('environment', environment);
    checkName('service', service);
    await this.open();
    return this.past.readAt(sha, environment, service);
  }
}

/** Opens (creating or cloning if needed) the config repository at `options.dir`. */
export async function openConfigRepo(options: GitConfigRepoOptions): Promise<GitConfigRepo> {
  const repo = new GitConfigRepo(options);
  await repo.open();
  return repo;
}
