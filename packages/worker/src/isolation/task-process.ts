import { fork, type ChildProcess } from 'node:child_process';
import { heapLimitMb, type KillReason } from './limits.js';
import { ProcessMemory } from './memory.js';
import { DATA_SOCKET_ENV, TASK_PROCESS_ENV, type ChildMessage, type RunMessage } from './protocol.js';

export interface TaskProcessOptions {
  /** The worker module: the task process loads it again and serves tasks. */
  readonly module: string;
  readonly argv: readonly string[];
  readonly memoryBytes: number;
  /** Where the worker's data channel listens. */
  readonly dataSocket: string;
}

export interface TaskProcessEvents {
  message(message: ChildMessage): void;
  exit(code: number | null, signal: NodeJS.Signals | null): void;
  error(err: Error): void;
}

/**
 * One forked task process: started with a heap limit below the class's memory limit, its
 * stderr passed through (and its tail kept: V8 reports a heap overflow there), its memory
 * readable from /proc while it lives, killed (SIGKILL) with a reason the outcome names.
 */
export class TaskProcess {
  private readonly child: ChildProcess;
  /** The process's /proc status, open while it lives. */
  readonly memory: ProcessMemory | undefined;
  killedFor: KillReason | undefined;
  stderrTail = '';
  private exited = false;

  constructor(options: TaskProcessOptions, events: TaskProcessEvents) {
    const execArgv = [
      ...process.execArgv.filter((a) => !a.startsWith('--max-old-space-size')),
      `--max-old-space-size=${heapLimitMb(options.memoryBytes)}`,
    ];
    const child = fork(options.module, [...options.argv], {
      execArgv,
      env: { ...process.env, [TASK_PROCESS_ENV]: '1', [DATA_SOCKET_ENV]: options.dataSocket },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      // Small JSON messages: cheaper to encode and decode than the structured-clone format.
      serialization: 'json',
    });
    this.child = child;
    this.memory = child.pid === undefined ? undefined : new ProcessMemory(child.pid);
    child.stderr?.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-4096);
    });
    child.on('message', (message: ChildMessage) => events.message(message));
    child.on('exit', (code, signal) => {
      this.exited = true;
      this.memory?.close();
      events.exit(code, signal);
    });
    child.on('error', (err) => events.error(err));
  }

  /** Sends a task; a message that cannot be sent is reported through `failed`. */
  send(message: RunMessage, failed: () => void): void {
    this.child.send(message, (err) => {
      if (err) failed();
    });
  }

  /** Kills the process once, for the first reason given. */
  kill(reason: KillReason): void {
    if (this.exited || this.killedFor) return;
    this.killedFor = reason;
    this.child.kill('SIGKILL');
  }

  /** Kills the process for `reason` unless it has exited already; resolves once it has. */
  end(reason: KillReason): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.kill(reason);
    });
  }
}
