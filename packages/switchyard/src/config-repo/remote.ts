import { SwitchyardError } from '../errors/index.js';
import type { Git } from './git.js';
import type { Person } from './types.js';

export function isRemoteFailure(err: unknown): err is SwitchyardError {
  return err instanceof SwitchyardError && err.code === 'SWY_REPO_REMOTE_FAILED';
}

/**
 * The remote the working copy mirrors (`origin`): the branch is brought up to it before each
 * commit and every commit is pushed to it. An unreachable remote is SWY_REPO_REMOTE_FAILED; a
 * commit made meanwhile is kept locally and pushed with the next one.
 */
export class Remote {
  constructor(
    private readonly git: Git,
    readonly url: string,
    private readonly branch: string,
    private readonly committer: Person,
  ) {}

  private get upstream(): string {
    return `refs/remotes/origin/${this.branch}`;
  }

  failed(step: string, stderr: string): SwitchyardError {
    return new SwitchyardError('SWY_REPO_REMOTE_FAILED', {
      message: `git ${step} of the config repository remote ${this.url} failed: ${stderr.trim().split('\n').slice(-3).join(' ')}`,
      details: { remote: this.url, step },
    });
  }

  notPushed(err: SwitchyardError, sha: string): SwitchyardError {
    return new SwitchyardError('SWY_REPO_REMOTE_FAILED', {
      message: `${err.message}; the change is committed locally as ${sha.slice(0, 12)} and is pushed with the next change once the remote answers`,
      details: { ...err.details, sha, committed: true },
      cause: err,
    });
  }

  /** Points origin at the remote, whatever it pointed at before. */
  async attach(): Promise<void> {
    const current = await this.git.run(['remote', 'get-url', 'origin'], { ok: [2] });
    if (current.code !== 0) await this.git.run(['remote', 'add', 'origin', this.url]);
    else if (current.stdout.trim() !== this.url) await this.git.run(['remote', 'set-url', 'origin', this.url]);
  }

  /** Brings the branch up to the remote's: fast-forward, or our unpushed commits rebased on top. */
  async sync(): Promise<void> {
    const fetched = await this.git.run(['fetch', '--quiet', 'origin'], { ok: [1, 128] });
    if (fetched.code !== 0) throw this.failed('fetch', fetched.stderr);
    if (!(await this.git.has(this.upstream))) return; // empty remote
    const head = await this.git.head();
    if (!head) {
      await this.git.run(['reset', '--quiet', '--hard', this.upstream]);
      return;
    }
    const [ahead = 0, behind = 0] = (
      await this.git.run(['rev-list', '--left-right', '--count', `HEAD...${this.upstream}`])
    ).stdout
      .trim()
      .split(/\s+/)
      .map(Number);
    if (behind === 0) return;
    if (ahead === 0) {
      await this.git.run(['reset', '--quiet', '--hard', this.upstream]);
      return;
    }
    const rebased = await this.git.run(['rebase', '--quiet', '--no-verify', this.upstream], {
      committer: this.committer,
      ok: [1, 128],
    });
    if (rebased.code !== 0) {
      await this.git.run(['rebase', '--abort'], { ok: [1, 128] });
      throw new SwitchyardError('SWY_REPO_DIVERGED', {
        message: `The config repository ${this.git.dir} has ${ahead} unpushed commit(s) that conflict with ${behind} new commit(s) on ${this.url}: ${rebased.stdout.trim().split('\n').slice(-2).join(' ')}`,
        details: { remote: this.url, ahead, behind },
      });
    }
  }

  async push(sha: string): Promise<void> {
    const pushed = await this.git.run(
      ['push', '--quiet', '--no-verify', '--porcelain', 'origin', `HEAD:refs/heads/${this.branch}`],
      { ok: [1, 128] },
    );
    if (pushed.code === 0) return;
    const said = `${pushed.stdout}\n${pushed.stderr}`;
    if (/\[rejected\]|\[remote rejected\]|non-fast-forward|fetch first|rejected|denied|protected/i.test(said)) {
      throw new SwitchyardError('SWY_REPO_PUSH_REJECTED', {
        message: `${this.url} refused commit ${sha.slice(0, 12)} of the config repository: ${said
          .trim()
          .split('\n')
          .filter((l) => l && l !== 'Done')
          .slice(-3)
          .join(' ')}`,
        details: { remote: this.url, sha, branch: this.branch },
      });
    }
    throw this.failed('push', pushed.stderr);
  }

  /** Commits on the branch the remote does not have yet. */
  async unpushed(): Promise<number> {
    const r = await this.git.run([
      'rev-list',
      '--count',
      (await this.git.has(this.upstream)) ? `${this.upstream}..HEAD` : 'HEAD',
    ]);
    return Number(r.stdout.trim());
  }
}
