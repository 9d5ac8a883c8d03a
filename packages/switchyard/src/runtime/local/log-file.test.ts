import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorLines, openLog, readFrom } from './log-file.js';

describe('replica log files', () => {
  it('keeps one file per replica across restarts, rotated once it is big, with the older one beside it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-log-'));
    const path = join(dir, 'encoder-normal-1.log');
    for (let attempt = 0; attempt < 50; attempt++) {
      const { fd, offset } = openLog(path, 1000);
      writeSync(fd, `attempt ${attempt}: ${'x'.repeat(90)}\n`);
      closeSync(fd);
      expect(readFrom(path, offset)).toMatch(new RegExp(`^attempt ${attempt}: x+\\n$`));
    }
    expect(readdirSync(dir).sort()).toEqual(['encoder-normal-1.log', 'encoder-normal-1.log.1']);
    expect(readFileSync(path, 'utf8')).toMatch(/attempt 49/);
    expect(readFileSync(`${path}.1`, 'utf8')).not.toMatch(/attempt 49/);
  });

  it('reads what was written from an offset, the whole file when it was rotated since', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-log-'));
    const path = join(dir, 'a.log');
    appendFileSync(path, 'old\nnew\n');
    expect(readFrom(path, 4)).toBe('new\n');
    expect(readFrom(path, 100)).toBe('old\nnew\n');
    expect(readFrom(join(dir, 'missing.log'), 0)).toBe('');
    expect(existsSync(join(dir, 'missing.log'))).toBe(false);
  });

  it("picks a crash's own error lines, not Node's banner or stack frames", () => {
    const crash = [
      'file:///srv/worker.mjs:4',
      "  throw new Error('the model file /models/x.bin is missing');",
      '  ^',
      '',
      'Error: the model file /models/x.bin is missing',
      '    at file:///srv/worker.mjs:4:9',
      '    at ModuleJob.run (node:internal/modules/esm/module_job:234:25)',
      '',
      'Node.js v20.19.2',
    ].join('\n');
    expect(errorLines(crash)).toEqual([
      "  throw new Error('the model file /models/x.bin is missing');",
      'Error: the model file /models/x.bin is missing',
    ]);
    expect(errorLines('starting\nlistening on 8080\n')).toEqual(['starting', 'listening on 8080']);
    expect(errorLines('{"level":"info","msg":"a"}\n{"level":"error","msg":"cannot open the store"}\n')).toEqual([
      '{"level":"error","msg":"cannot open the store"}',
    ]);
  });
});
