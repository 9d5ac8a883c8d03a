import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { procInfo, waitGone } from './proc.js';
import { ProcessRecord, stillRunning, PROCESS_VAR } from './process-record.js';

const started: number[] = [];
afterEach(async () => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
    await waitGone(pid, 2000);
  }
});

function sleeper(record: ProcessRecord, name: string): number {
  const command = ['/bin/sleep', '30'];
  record.starting({ name, kind: 'replica', service: 'api', track: 'free', version: '1.0.0', port: 4000, command });
  const child = spawn(command[0] as string, command.slice(1), {
    env: { ...process.env, ...record.tag(name) },
    stdio: 'ignore',
  });
  started.push(child.pid as number);
  record.started(name, child.pid as number);
  return child.pid as number;
}

const onDisk = (record: ProcessRecord) =>
  JSON.parse(readFileSync(record.file, 'utf8')) as { processes: Record<string, { pid?: number; startTime?: number }> };

describe('the process record', () => {
  it('holds a process before it is spawned, then its pid and start time', () => {
    const record = new ProcessRecord(mkdtempSync(join(tmpdir(), 'sy-record-')));
    record.starting({ name: 'api-free-1', kind: 'replica', service: 'api', command: ['/bin/true'] });
    expect(onDisk(record).processes['api-free-1']).toEqual({
      name: 'api-free-1',
      kind: 'replica',
      service: 'api',
      command: ['/bin/true'],
    });
    const pid = sleeper(record, 'api-free-2');
    expect(onDisk(record).processes['api-free-2']).toMatchObject({ pid, startTime: procInfo(pid)?.startTime });
    record.gone('api-free-2', pid + 1);
    expect(onDisk(record).processes['api-free-2']).toBeDefined();
    record.gone('api-free-2', pid);
    expect(Object.keys(onDisk(record).processes)).toEqual(['api-free-1']);
  });

  it('keeps what a previous run left until each entry is kept or dropped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-record-'));
    sleeper(new ProcessRecord(dir), 'api-free-1');
    const again = new ProcessRecord(dir);
    const { recorded } = again.load();
    expect(recorded.map((e) => e.name)).toEqual(['api-free-1']);
    again.starting({ name: 'api-free-2', kind: 'replica', service: 'api', command: ['/bin/true'] });
    expect(Object.keys(onDisk(again).processes)).toEqual(['api-free-1', 'api-free-2']);
  });

  it('recognises a recorded process only while it is the same process', async () => {
    const record = new ProcessRecord(mkdtempSync(join(tmpdir(), 'sy-record-')));
    const pid = sleeper(record, 'api-free-1');
    const [entry] = record.entries() as [Parameters<typeof stillRunning>[0]];
    expect(stillRunning(entry)).toBe(pid);
    expect(stillRunning({ ...entry, startTime: (entry.startTime as number) - 1 })).toBeUndefined();
    expect(stillRunning({ ...entry, command: ['/bin/sleep', '31'] })).toBeUndefined();
    expect(stillRunning({ ...entry, name: 'api-free-9' })).toBeUndefined();
    expect(PROCESS_VAR).toBe('SWITCHYARD_PROCESS');
    process.kill(pid, 'SIGKILL');
    await waitGone(pid, 2000);
    expect(stillRunning(entry)).toBeUndefined();
  });
});
