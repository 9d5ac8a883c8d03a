import { randomUUID } from 'node:crypto';
import { resolveConfig, type WorkerOptions } from './config/index.js';
import { createLogger } from './observability/log.js';
import { RabbitMqQueue, type Queue } from './queue/index.js';
import { encodeEnvelope, summaryHeaders, TASK_ID, type TaskEnvelope } from './task/index.js';
import { WorkerError } from './errors/index.js';

export interface TaskProducer {
  /** Publishes a task (confirmed by the broker) and returns its id. */
  submit(payload: unknown, options?: { readonly id?: string }): Promise<string>;
  close(): Promise<void>;
}

/**
 * Publishes tasks to a worker's queue, declaring the same topology the worker declares.
 * Give each task a stable id when it has one (an upload id): a task submitted twice then
 * still produces one output.
 */
export async function createTaskProducer(
  options: WorkerOptions & { readonly queueAdapter?: Queue } = {},
): Promise<TaskProducer> {
  const config = resolveConfig({ metricsPort: false, ...options });
  const queue =
    options.queueAdapter ??
    new RabbitMqQueue({
      url: config.brokerUrl,
      topology: {
        queue: config.queue,
        fallbackQueue: config.fallbackQueue,
        deadLetterQueue: config.deadLetterQueue,
        deliveryLimit: config.deliveryLimit,
      },
      log: createLogger({ service: config.service, role: 'producer' }),
      connectionName: `${config.service}/producer`,
    });
  await queue.start();
  return {
    async submit(payload, submitOptions = {}) {
      const id = submitOptions.id ?? randomUUID();
      if (!TASK_ID.test(id))
        throw new WorkerError('SWY_WORKER_ENVELOPE_INVALID', {
          message: `The task id ${JSON.stringify(id)} must be 1-200 letters, digits, . _ : -`,
        });
      const envelope: TaskEnvelope = { id, payload, submittedAt: new Date().toISOString(), history: [] };
      await queue.publish(config.queue, {
        body: encodeEnvelope(envelope),
        headers: summaryHeaders(envelope),
        messageId: id,
      });
      return id;
    },
    close: () => queue.close(),
  };
}
