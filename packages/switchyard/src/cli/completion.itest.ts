import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { completionScript, type Shell } from './completion.js';
import { buildProgram } from './program.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-completion-'));

/** The script of a shell, written where that shell can source it. */
function script(shell: Shell): string {
  const file = join(dir, `switchyard.${shell}`);
  writeFileSync(file, completionScript(buildProgram(), shell));
  return file;
}

/** Runs a shell (installed by test/infra/install) on a script; fails the test on a shell error. */
function run(shell: string, args: readonly string[]): string {
  const r = spawnSync(shell, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${shell} did not start (${r.error.message}): test/infra/install installs it`);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

/** What bash completes for a command line; the last word is the one being completed. */
function bash(...words: string[]): string[] {
  const line = words.map((w) => `'${w}'`).join(' ');
  const out = run('bash', [
    '-c',
    `source '${script('bash')}'; COMP_WORDS=(${line}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _switchyard; printf '%s\\n' "\${COMPREPLY[@]}"`,
  ]);
  return out.split('\n').filter(Boolean);
}

/** What fish completes for a command line, as `complete -C` prints it (word, tab, description). */
function fish(line: string): string[] {
  return run('fish', ['-c', `source '${script('fish')}'; complete -C '${line}'`])
    .split('\n')
    .filter(Boolean);
}

/**
 * What zsh's completion function offers: zsh completes only inside its line editor, so the
 * function runs with `words`/`CURRENT` set as the editor sets them and the two completion
 * builtins it calls (_describe, compadd) printing what they were given.
 */
function zsh(...words: string[]): string[] {
  const list = words.map((w) => `'${w}'`).join(' ');
  const out = run('zsh', [
    '-c',
    [
      'compdef() { :; }',
      `source '${script('zsh')}'`,
      '_describe() { print -rl -- "${(@P)4}"; }',
      'compadd() { shift; print -rl -- "$@"; }',
      `words=(${list}); CURRENT=${words.length}`,
      '_switchyard',
    ].join('\n'),
  ]);
  return out.split('\n').filter(Boolean);
}

describe('shell completion, generated from the command tree', () => {
  it('bash completes commands, subcommands, options and their values', () => {
    expect(bash('switchyard', 'de')).toEqual(['deploy']);
    expect(bash('switchyard', 'traffic', '')).toEqual(['share', 'legacy', '-h', '--help']);
    expect(bash('switchyard', 'deploy', 'api', '1.5.0', '--ti')).toEqual(['--timeout']);
    expect(bash('switchyard', 'status', '-o', '')).toEqual(['json', 'yaml', 'wide']);
    expect(bash('switchyard', 'check', 'dir', '--output', 's')).toEqual(['sarif']);
    expect(bash('switchyard', 'completion', '')).toEqual(['bash', 'zsh', 'fish', '-h', '--help']);
    // `sandbox status` is not `status`: its options are its own.
    expect(bash('switchyard', 'sandbox', 'status', '--')).toEqual(['--name', '--help']);
  });

  it('fish completes them with their descriptions', () => {
    expect(fish('switchyard de')).toEqual([
      'deploy\tRelease a version of a service through its stages; follows it until i…',
    ]);
    expect(fish('switchyard traffic ')).toEqual([
      "legacy\tSend <percent> of all of a service's traffic to its legacy backend",
      "share\tSend <percent> of a traffic group's users to its canary track",
    ]);
    expect(fish('switchyard status -o ').map((l) => l.split('\t')[0])).toEqual(['json', 'wide', 'yaml']);
    expect(fish('switchyard sandbox up --').map((l) => l.split('\t')[0])).toEqual([
      '--help',
      '--name',
      '--port-offset',
      '--real-node',
    ]);
  });

  it('zsh offers the same words with their descriptions', () => {
    expect(zsh('switchyard', 'traffic', '')).toEqual([
      "share:Send <percent> of a traffic group's users to its canary track",
      "legacy:Send <percent> of all of a service's traffic to its legacy backend",
      '-h:display help for command',
      '--help:display help for command',
    ]);
    expect(zsh('switchyard', 'status', '-o', '')).toEqual(['json', 'yaml', 'wide']);
    expect(zsh('switchyard', 'version', '')).toContain(
      '--api:Switchyard API address (default $SWITCHYARD_API or http\\://127.0.0.1\\:7…',
    );
  });

  it('each script is valid in its shell', () => {
    run('bash', ['-n', script('bash')]);
    run('zsh', ['-n', script('zsh')]);
    run('fish', ['-n', script('fish')]);
  });
});
