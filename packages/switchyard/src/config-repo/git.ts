import { spawn } from 'node:child_process';
import { SwitchyardError } from '../errors/index.js';
import type { Person } from './types.js';

export interface GitResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface GitRunOptions {
  /** Author and committer of a commit (or a rebase), set per call, never from git config. */
  readonly author?: Person;
  readonly committer?: Person;
  readonly input?: string;
  /** Exit codes that are answers, not failures (e.g. 1 of `git diff --quiet`). */
  readonly ok?: readonly number[];
  /** Working directory other than the repository (clone). */
  readonly cwd?: string;
}

/**
 * Runs git without a shell, never prompting, in the C locale (messages are parsed), with the
 * settings that would make a commit depend on the machine's git config turned off. (Hooks are
 * skipped per command with --no-verify: a `-c core.hooksPath` would also reach the receiving
 * side of a push to a local remote.)
 */
export class Git {
  constructor(
    readonly dir: string,
    readonly bin: string,
  ) {}

  async run(args: readonly string[], options: GitRunOptions = {}): Promise<GitResult> {
    const fixed = [
      '-c',
      `safe.directory=${this.dir}`,
      '-c',
      'commit.gpgsign=false',
      '-c',
      'core.autocrlf=false',
      '-c',
      'core.quotepath=false',
    ];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      LC_ALL: 'C',
      LANGUAGE: 'C',
      GIT_TERMINAL_PROMPT: '0',
      // Reads must not take index.lock behind our back.
      GIT_OPTIONAL_LOCKS: '0',
      ...(options.author ? { GIT_AUTHOR_NAME: options.author.name, GIT_AUTHOR_EMAIL: options.author.email } : {}),
      ...(options.committer
        ? { GIT_COMMITTER_NAME: options.committer.name, GIT_COMMITTER_EMAIL: options.committer.email }
        : {}),
    };
    const result = await new Promise<GitResult>((resolve, reject) => {
      const child = spawn(this.bin, [...fixed, ...args], {
        cwd: options.cwd ?? this.dir,
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') {
          reject(
            new SwitchyardError('SWY_REPO_GIT_MISSING', {
              message: `git was not found (${this.bin}); the config repository ${this.dir} needs it`,
              cause: e,
            }),
          );
        } else reject(e);
      });
      child.on('close', (code) =>
        resolve({
          code: code ?? -1,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        }),
      );
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input ?? '');
    });
    if (result.code !== 0 && !(options.ok ?? []).includes(result.code)) throw gitFailed(this.dir, args, result);
    return result;
  }

  /** The current commit, or undefined before the first one. */
  async head(): Promise<string | undefined> {
    const r = await this.run(['rev-parse', '--verify', '--quiet', 'HEAD'], { ok: [1] });
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  /** Whether `ref` names something (a branch, a remote branch). */
  async has(ref: string): Promise<boolean> {
    return (await this.run(['rev-parse', '--verify', '--quiet', ref], { ok: [1] })).code === 0;
  }
}

export function gitFailed(dir: string, args: readonly string[], result: GitResult): SwitchyardError {
  const said = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-6).join('\n');
  return new SwitchyardError('SWY_REPO_GIT_FAILED', {
    message: `git ${args[0] ?? ''} failed in the config repository ${dir} (exit ${result.code}): ${said}`,
    details: { command: ['git', ...args].join(' '), exit: result.code },
  });
}
