export type { Delivery, Queue, QueueMessage, QueueState, QueueTopology } from './port.js';
export { RabbitMqQueue, type RabbitMqQueueOptions } from './rabbitmq/adapter.js';
export {
  DEAD_LETTER_EXCHANGE,
  declareTopology,
  retryQueueArguments,
  retryQueueName,
  workQueueArguments,
} from './rabbitmq/topology.js';
