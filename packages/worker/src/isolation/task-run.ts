import { randomUUID } from 'node:crypto';
import type { SpooledFile } from '../storage/index.js';
import type { PoolOutcome } from './outcome.js';

export interface RunRequest {
  readonly taskId: string;
  readonly payload: unknown;
  readonly attempt: number;
}

export interface RunReport {
  readonly outcome: PoolOutcome;
  readonly durationMs: number;
  readonly peakRssBytes: number | undefined;
}

/**
 * One task on its way through a task process. The token names it on the data channel; the
 * output arrives there, apart from the result message on the IPC channel, so the two are
 * joined here.
 */
export class ActiveRun {
  readonly token = randomUUID();
  readonly startedAt = Date.now();
  /** The watchdog's highest sample during this task. */
  peakRss: number | undefined;
  /** Why the input could not be streamed, when it could not. */
  inputError: unknown;
  timer: NodeJS.Timeout | undefined;
  /** Settles with the spooled output once the task process has connected to send it. */
  readonly output: Promise<SpooledFile>;
  private deliver: (spooled: Promise<SpooledFile>) => void = () => undefined;

  constructor(
    readonly request: RunRequest,
    /** Reports the outcome; only the first call counts. */
    readonly finish: (outcome: PoolOutcome) => void,
  ) {
    this.output = new Promise<SpooledFile>((resolve) => {
      this.deliver = resolve;
    });
    this.output.catch(() => undefined);
  }

  receiveOutput(spooled: Promise<SpooledFile>): void {
    this.deliver(spooled);
  }
}
