import { appendFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { WorkerClassName } from '../config/index.js';
import type { AttemptOutcome } from '../task/index.js';

/**
 * One finished task attempt, as a JSON line in the stats file (SWITCHYARD_TASK_STATS_FILE).
 * `switchyard workers calibrate` reads these to size the normal class.
 */
export interface TaskStat {
  readonly at: string;
  readonly service: string;
  readonly taskId: string;
  readonly class: WorkerClassName;
  readonly outcome: AttemptOutcome;
  /** What the worker did with the message next. */
  readonly action: 'ack' | 'escalate' | 'retry' | 'dead-letter' | 'requeue';
  /**
   * False when the answer was lost with the broker connection: the attempt happened (its
   * output is written), and the broker redelivers the message to a copy that finds it.
   */
  readonly acknowledged?: false;
  readonly durationMs: number;
  /** Peak RSS of the task process during the attempt. */
  readonly peakRssBytes?: number;
  /** The class's limits when the attempt ran. */
  readonly timeoutMs: number;
  readonly memoryBytes: number;
  readonly attempt: number;
  readonly reason?: string;
  readonly outputKey?: string;
  readonly outputSha256?: string;
  readonly worker: string;
}

/** Appends synchronously: a line is either wholly written or not at all, even on kill -9 right after. */
export function appendStat(file: string, stat: TaskStat): void {
  appendFileSync(file, `${JSON.stringify(stat)}\n`);
}

/** Reads stats files, skipping lines that are not complete records (a file cut mid-write). */
export async function readStats(files: readonly string[]): Promise<TaskStat[]> {
  const out: TaskStat[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const stat = JSON.parse(line) as TaskStat;
        if (
          typeof stat.taskId === 'string' &&
          typeof stat.durationMs === 'number' &&
          (stat.class === 'normal' || stat.class === 'fallback')
        )
          out.push(stat);
      } catch {
        // a partial last line
      }
    }
  }
  return out;
}
