import { existsSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { isAbsolute, join, normalize, resolve } from 'node:path';
import { Git } from '../config-repo/index.js';
import { isSwitchyardError, redactUrl, SwitchyardError } from '../errors/index.js';

/**
 * A configuration repository the server follows: a bare copy fetched from its URL, and one
 * checkout per commit the server reads. The served commit's files never change under the
 * running fleet; a new commit is read in a checkout of its own.
 */
export interface GitSourceOptions {
  /** Anything `git clone` takes: https://, ssh://, git@host:path, file://, a local (bare) repository. */
  readonly url: string;
  /** Default: the remote's default branch (its HEAD). */
  readonly branch?: string;
  /** The configuration directory inside the repository (default: its root). */
  readonly path?: string;
  /** Where the copy and the checkouts live (e.g. <data-dir>/config-source). */
  readonly dir: string;
  /** Default $SWITCHYARD_GIT_BIN or `git`. */
  readonly git?: string;
}

/** Whether the server's argument names a git repository to follow rather than a directory to read. */
export function isGitUrl(arg: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg) || /^[\w.-]+@[\w.-]+:/.test(arg)) return true;
  if (!existsSync(arg) || !statSync(arg).isDirectory()) return arg.endsWith('.git');
  // A bare repository: a directory of its own holding HEAD and objects/.
  return existsSync(join(arg, 'HEAD')) && existsSync(join(arg, 'objects')) && !existsSync(join(arg, 'services'));
}

function checkPath(path: string | undefined): string {
  if (path === undefined || path === '' || path === '.') return '';
  const clean = normalize(path).replace(/\/+$/, '');
  if (isAbsolute(clean) || clean === '..' || clean.startsWith('../')) {
    throw new SwitchyardError('SWY_CLI_USAGE', {
      message: `--path ${path} is not a directory inside the repository`,
      hint: 'Give a relative path such as --path deploy/switchyard.',
    });
  }
  return clean;
}

export class GitSource {
  readonly url: string;
  readonly branch: string | undefined;
  readonly path: string;
  private readonly git: Git;
  private readonly ref: string;

  constructor(private readonly options: GitSourceOptions) {
    const local = !/^[a-z][a-z0-9+.-]*:\/\//i.test(options.url) && !/^[\w.-]+@[\w.-]+:/.test(options.url);
    this.url = local ? resolve(options.url) : options.url;
    this.branch = options.branch;
    this.path = checkPath(options.path);
    this.git = new Git(join(options.dir, 'repo.git'), options.git ?? process.env['SWITCHYARD_GIT_BIN'] ?? 'git');
    this.ref = `refs/followed/${options.branch ?? 'HEAD'}`;
  }

  /** Where the copy and the checkouts live. */
  get dir(): string {
    return this.options.dir;
  }

  /** The URL without credentials. */
  get location(): string {
    return redactUrl(this.url);
  }

  /** `url` (branch, path) as people read it. */
  get label(): string {
    return `${redactUrl(this.url)}${this.branch ? ` (branch ${this.branch})` : ''}${this.path ? ` in ${this.path}/` : ''}`;
  }

  private failed(step: string, err: unknown): SwitchyardError {
    const said = isSwitchyardError(err) ? err.message.split(': ').slice(1).join(': ') : String(err);
    return new SwitchyardError('SWY_CONFIG_SOURCE_FAILED', {
      message: `git ${step} of ${this.label} failed: ${said.trim().split('\n').slice(-3).join(' ')}`,
      details: { url: redactUrl(this.url), ...(this.branch ? { branch: this.branch } : {}) },
      cause: err,
    });
  }

  /** Fetches the branch (making the local copy the first time); its newest commit. */
  async fetch(): Promise<string> {
    if (!existsSync(join(this.git.dir, 'HEAD'))) {
      await mkdir(this.git.dir, { recursive: true, mode: 0o700 });
      await this.git.run(['init', '--bare', '--quiet']);
    }
    const from = this.branch ? `refs/heads/${this.branch}` : 'HEAD';
    try {
      await this.git.run(['fetch', '--quiet', '--no-tags', '--', this.url, `+${from}:${this.ref}`]);
    } catch (err) {
      throw this.failed('fetch', err);
    }
    return (await this.git.run(['rev-parse', '--verify', `${this.ref}^{commit}`])).stdout.trim();
  }

  private checkoutDir(sha: string): string {
    return join(this.options.dir, 'checkouts', sha);
  }

  /** The configuration directory of `sha`, checked out once into a directory of its own. */
  async checkout(sha: string): Promise<string> {
    const dir = this.checkoutDir(sha);
    if (!existsSync(join(dir, '.git'))) {
      await rm(dir, { recursive: true, force: true });
      await mkdir(join(this.options.dir, 'checkouts'), { recursive: true, mode: 0o700 });
      await this.git.run(['worktree', 'prune']);
      await this.git.run(['worktree', 'add', '--quiet', '--detach', '--force', dir, sha]);
    }
    return this.path ? join(dir, this.path) : dir;
  }

  /** Removes the checkout of a commit that is not served. */
  async discard(sha: string): Promise<void> {
    await rm(this.checkoutDir(sha), { recursive: true, force: true });
    await this.git.run(['worktree', 'prune']).catch(() => undefined);
  }

  /** The first line of a commit's message and its author, for status lines and the audit log. */
  async describe(sha: string): Promise<{ readonly author: string; readonly subject: string }> {
    const out = (await this.git.run(['log', '-1', '--format=%an <%ae>%n%s', sha])).stdout.split('\n');
    return { author: out[0] ?? '', subject: out[1] ?? '' };
  }
}
