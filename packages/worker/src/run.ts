import { resolveConfig, type WorkerOptions } from './config/index.js';
import type { WorkerDefinition } from './definition.js';
import { serveTasks, TASK_PROCESS_ENV } from './isolation/index.js';
import { WorkerRuntime, type RuntimeOptions } from './runtime.js';
import { WorkerError } from './errors/index.js';

export interface RunWorkerOptions extends WorkerOptions {
  /** The module task processes load; the running script by default (it must call runWorker again). */
  readonly module?: string;
  /** Stop gracefully on SIGTERM and SIGINT, then exit (default true). */
  readonly handleSignals?: boolean;
  readonly queueAdapter?: RuntimeOptions['queue'];
}

/**
 * Runs a worker. In the worker process it connects, consumes and supervises task processes;
 * in a task process (the same script, started by the pool) it serves tasks instead. Keep the
 * worker script's top level to defineWorker and runWorker: it runs in both.
 */
export async function runWorker(
  definition: WorkerDefinition,
  options: RunWorkerOptions = {},
): Promise<WorkerRuntime | undefined> {
  if (process.env[TASK_PROCESS_ENV] === '1') {
    await serveTasks(definition);
    return undefined;
  }
  const { module, handleSignals, queueAdapter, ...overrides } = options;
  const config = resolveConfig({ ...definition, ...overrides });
  const script = module ?? process.argv[1];
  if (!script)
    throw new WorkerError('SWY_WORKER_CONFIG', {
      message: 'runWorker cannot tell which module task processes should load',
      hint: 'Pass the module option: runWorker(definition, { module: import.meta.filename }).',
    });
  const runtime = new WorkerRuntime(definition, config, {
    module: script,
    argv: process.argv.slice(2),
    ...(queueAdapter ? { queue: queueAdapter } : {}),
  });
  if (handleSignals !== false) {
    const stop = (signal: NodeJS.Signals) => {
      runtime.log.info('signal received', { signal });
      runtime.stop().then(
        () => process.exit(0),
        (err: unknown) => {
          runtime.log.error('could not stop cleanly', { err });
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  }
  await runtime.start();
  return runtime;
}
