import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../observability/log.js';
import { LocalDirectoryStore } from '../storage/index.js';
import { TEST_WORKER } from '../../test/support/worker-processes.js';
import { TaskPool } from './pool.js';

const MiB = 2 ** 20;

// Real task processes (the built test worker), one slot: what one task's report says about
// its own peak memory, even when the process before it ran a bigger task.
describe.runIf(process.platform === 'linux')('TaskPool memory reports', () => {
  const dir = mkdtempSync(join(tmpdir(), 'swy-pool-'));
  const pool = new TaskPool({
    module: TEST_WORKER,
    size: 1,
    workerClass: 'normal',
    timeoutMs: 20_000,
    memoryBytes: 256 * MiB,
    store: new LocalDirectoryStore(dir),
    log: createLogger({ service: 'pool-test' }, () => undefined),
  });
  let n = 0;
  const run = (payload: Record<string, unknown>) => pool.run({ taskId: `t${n++}`, payload, attempt: 1 });

  beforeAll(() => pool.start());
  afterAll(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports each task its own peak: small tasks stay near the idle size, a big one its size', async () => {
    const first = await run({ kind: 'small' });
    expect(first.outcome.kind).toBe('done');
    const baseline = first.peakRssBytes ?? 0;
    expect(baseline).toBeGreaterThan(10 * MiB);
    for (let i = 0; i < 20; i++) {
      const small = await run({ kind: 'small' });
      expect(small.peakRssBytes ?? 0).toBeLessThan(baseline + 20 * MiB);
    }

    const big = await run({ kind: 'big', mb: 150, ms: 100 });
    expect(big.outcome.kind).toBe('done');
    expect(big.peakRssBytes ?? 0).toBeGreaterThan(baseline + 140 * MiB);

    // The big task kept more than half the class's headroom: its process was replaced, so
    // the next task is not charged the memory it left behind.
    const after = await run({ kind: 'small' });
    expect(after.outcome.kind).toBe('done');
    expect(after.peakRssBytes ?? 0).toBeLessThan(baseline + 20 * MiB);
  });
});
