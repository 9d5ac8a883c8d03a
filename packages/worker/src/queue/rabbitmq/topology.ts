import type { Channel } from 'amqplib';
import type { QueueTopology } from '../port.js';

/** The one exchange every Switchyard dead-letter queue hangs off (routing key = the queue's name). */
export const DEAD_LETTER_EXCHANGE = 'switchyard.dead-letter';

const QUORUM = { 'x-queue-type': 'quorum' } as const;
// Dead-lettering that survives a broker restart: at-least-once needs reject-publish overflow.
const SAFE_DEAD_LETTERING = { 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' } as const;

/** Arguments of a work queue (a class's queue). Every declaration must use the same ones. */
export function workQueueArguments(topology: QueueTopology): Record<string, unknown> {
  return {
    ...QUORUM,
    ...SAFE_DEAD_LETTERING,
    'x-delivery-limit': topology.deliveryLimit,
    'x-dead-letter-exchange': DEAD_LETTER_EXCHANGE,
    'x-dead-letter-routing-key': topology.deadLetterQueue,
  };
}

export function retryQueueName(target: string, delayMs: number): string {
  return `${target}.retry.${delayMs}ms`;
}

/**
 * A backoff bucket: messages wait `delayMs` (a queue-level TTL, which quorum queues honour
 * from RabbitMQ 3.10) and are then dead-lettered back into the queue they came from.
 */
export function retryQueueArguments(target: string, delayMs: number): Record<string, unknown> {
  return {
    ...QUORUM,
    ...SAFE_DEAD_LETTERING,
    'x-message-ttl': delayMs,
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': target,
  };
}

export async function declareTopology(channel: Channel, topology: QueueTopology): Promise<void> {
  await channel.assertExchange(DEAD_LETTER_EXCHANGE, 'direct', { durable: true });
  await channel.assertQueue(topology.deadLetterQueue, { durable: true, arguments: { ...QUORUM } });
  await channel.bindQueue(topology.deadLetterQueue, DEAD_LETTER_EXCHANGE, topology.deadLetterQueue);
  await channel.assertQueue(topology.queue, { durable: true, arguments: workQueueArguments(topology) });
  if (topology.fallbackQueue)
    await channel.assertQueue(topology.fallbackQueue, { durable: true, arguments: workQueueArguments(topology) });
}
