/**
 * The worker SDK's own error catalogue, in the platform's style (`SWY_<AREA>_<WHAT>`) but
 * without importing the platform: a worker service depends on this package only.
 * The README has one anchor per code; a test keeps the two in step.
 */
export type WorkerErrorKind = 'input' | 'limit' | 'unavailable' | 'internal';

export interface WorkerCatalogueEntry {
  readonly kind: WorkerErrorKind;
  readonly status: number;
  readonly message: string;
  readonly hint: string;
}

const entry = (kind: WorkerErrorKind, status: number, message: string, hint: string): WorkerCatalogueEntry => ({
  kind,
  status,
  message,
  hint,
});

export const workerCatalogue = {
  SWY_WORKER_CONFIG: entry(
    'input',
    400,
    'The worker configuration is invalid',
    'Fix the option or the SWITCHYARD_* environment variable named in the message.',
  ),
  SWY_WORKER_ENVELOPE_INVALID: entry(
    'input',
    400,
    'The message is not a task envelope',
    'Publish tasks with submitTask() or as JSON {"id": "...", "payload": {...}}.',
  ),
  SWY_WORKER_PAYLOAD_INVALID: entry(
    'input',
    422,
    "The task payload does not match the worker's schema",
    'Fix the producer so that it sends the fields the worker declares, then re-publish the task.',
  ),
  SWY_WORKER_PERMANENT: entry(
    'input',
    422,
    'The handler declared that this task can never succeed',
    "Read the reason, fix the task's input, then re-publish it.",
  ),
  SWY_WORKER_TOO_BIG: entry(
    'limit',
    413,
    'The handler declared the task too big for its class',
    "Nothing to do if a fallback class exists; otherwise add one or raise the class's limits.",
  ),
  SWY_WORKER_TIME_LIMIT: entry(
    'limit',
    504,
    "The task ran past its class's time limit",
    "Run `switchyard workers calibrate` to size the classes, or raise the fallback class's timeout.",
  ),
  SWY_WORKER_MEMORY_LIMIT: entry(
    'limit',
    507,
    'The task used more memory than its class allows',
    "Run `switchyard workers calibrate` to size the classes, or raise the fallback class's memory.",
  ),
  SWY_WORKER_HANDLER_FAILED: entry(
    'unavailable',
    500,
    'The handler threw an error',
    'The task is retried with backoff; fix the cause named in the message if it keeps failing.',
  ),
  SWY_WORKER_TASK_CRASHED: entry(
    'unavailable',
    500,
    'The task process exited while running the task',
    "Look at the worker's log lines for this task id; the task is retried with backoff.",
  ),
  SWY_WORKER_RETRIES_EXHAUSTED: entry(
    'unavailable',
    503,
    'The task failed on every attempt its retry policy allows',
    'Fix the cause named by the last attempt, then re-publish the task from the dead-letter queue.',
  ),
  SWY_WORKER_DELIVERY_LIMIT: entry(
    'unavailable',
    500,
    'The broker gave up on the task after it was delivered too many times without an answer',
    'The task kills the worker process that runs it: reproduce it locally with the payload from the dead-letter queue.',
  ),
  SWY_WORKER_INPUT_NOT_FOUND: entry(
    'input',
    404,
    "The task's input object does not exist",
    'Upload the input before publishing the task, or fix the key the payload names.',
  ),
  SWY_WORKER_STORAGE_UNAVAILABLE: entry(
    'unavailable',
    503,
    'The object storage could not be reached',
    'Check the storage URL and credentials; the task is retried with backoff meanwhile.',
  ),
  SWY_WORKER_QUEUE_UNAVAILABLE: entry(
    'unavailable',
    503,
    'The queue broker could not be reached',
    'Check the broker URL and credentials; the worker reconnects by itself.',
  ),
  SWY_WORKER_INTERNAL: entry(
    'internal',
    500,
    'An unexpected error happened in the worker SDK',
    'This is a bug in the worker SDK: please report it with the log line that carries this code.',
  ),
} as const satisfies Record<string, WorkerCatalogueEntry>;

export type WorkerErrorCode = keyof typeof workerCatalogue;
