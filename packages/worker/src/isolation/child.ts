import type { TaskContext, WorkerDefinition } from '../definition.js';
import { WORKER_ENV } from '../contract/index.js';
import { createLogger } from '../observability/log.js';
import { inlineOutput, openInput, sendOutput } from './data-client.js';
import { classifyError } from './outcome.js';
import type { ChildMessage, ChildOutcome, RunMessage } from './protocol.js';

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function runOne(
  definition: WorkerDefinition,
  message: RunMessage,
  log: ReturnType<typeof createLogger>,
): Promise<void> {
  let outcome: ChildOutcome;
  try {
    const payload: unknown = definition.payload.parse(message.payload);
    const inputKey = definition.input?.(payload);
    const ctx: TaskContext = {
      taskId: message.taskId,
      workerClass: message.workerClass,
      attempt: message.attempt,
      progress: (ratio, note) =>
        send({ type: 'progress', token: message.token, ratio, ...(note === undefined ? {} : { note }) }),
      log: (msg, fields) => log.info(msg, { taskId: message.taskId, ...fields }),
    };
    const body = await definition.handler(
      { id: message.taskId, payload, inputKey, input: () => openInput(message.token, inputKey) },
      ctx,
    );
    const small = inlineOutput(body);
    if (small !== undefined) {
      outcome = { kind: 'done', inline: small };
    } else {
      await sendOutput(message.token, body);
      outcome = { kind: 'done' };
    }
  } catch (err) {
    outcome = classifyError(err);
  }
  send({ type: 'result', token: message.token, outcome });
}

/**
 * The loop of a task process: the worker module, loaded again by the pool, serves one task
 * at a time over IPC and leaves as soon as its worker is gone (an orphan never finishes a
 * task: its output could not be recorded anyway).
 */
export function serveTasks(definition: WorkerDefinition): Promise<void> {
  const log = createLogger({
    service: definition.service ?? process.env[WORKER_ENV.service.name] ?? 'worker',
    process: 'task',
  });
  process.on('disconnect', () => process.exit(0));
  process.on('message', (message: RunMessage) => {
    if (message?.type === 'run') void runOne(definition, message, log);
  });
  send({ type: 'ready' });
  return new Promise(() => undefined);
}
