import { spawn } from 'node:child_process';
import { gitFailed, type Git } from './git.js';

/** Contents of `<rev>:<path>` objects through one `git cat-file --batch`; undefined for missing ones. */
export function readBlobs(git: Git, specs: readonly string[]): Promise<(string | undefined)[]> {
  if (specs.length === 0) return Promise.resolve([]);
  return new Promise((resolveAll, reject) => {
    const args = ['-c', `safe.directory=${git.dir}`, 'cat-file', '--batch'];
    const child = spawn(git.bin, args, { cwd: git.dir, env: { ...process.env, LC_ALL: 'C', GIT_OPTIONAL_LOCKS: '0' } });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(gitFailed(git.dir, args.slice(2), { code: code ?? -1, stdout: '', stderr }));
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
