/** A message as the SDK sees it, whatever the broker. */
export interface QueueMessage {
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly messageId?: string;
}

/** One delivered message; answer it exactly once. */
export interface Delivery {
  readonly message: QueueMessage;
  /** How many times the broker delivered it before without an answer (a worker died holding it). */
  readonly deliveryCount: number;
  /** Done with it. False when the connection it came on is gone: the broker will redeliver it. */
  ack(): boolean;
  /** Give it back to the queue for another worker. */
  requeue(): boolean;
}

/** The queues of one worker: its own, the fallback class's, and the dead-letter queue. */
export interface QueueTopology {
  readonly queue: string;
  readonly fallbackQueue: string;
  readonly deadLetterQueue: string;
  /** Deliveries without an answer before the broker dead-letters a message by itself. */
  readonly deliveryLimit: number;
}

export type QueueState = 'connecting' | 'connected' | 'disconnected' | 'closed';

/**
 * A durable work queue. RabbitMQ is the adapter; the port is shaped so SQS can follow:
 * `publish` resolves only once the broker has taken responsibility for the message,
 * delays are the broker's (retry queues with a TTL; SQS's DelaySeconds), and the
 * dead-letter queue is addressed by the topology, not by a routing detail.
 */
export interface Queue {
  /** Connects (and keeps reconnecting) and declares the topology. */
  start(): Promise<void>;
  consume(queue: string, prefetch: number, onDelivery: (delivery: Delivery) => void): Promise<void>;
  /** Stops new deliveries; messages already delivered stay with their holder until answered. */
  cancel(): Promise<void>;
  /** Resolves when the broker confirmed the message. `delayMs` defers its delivery. */
  publish(queue: string, message: QueueMessage, options?: { readonly delayMs?: number }): Promise<void>;
  /** Publishes to the dead-letter queue (confirmed). */
  deadLetter(message: QueueMessage): Promise<void>;
  readonly state: QueueState;
  onStateChange(listener: (state: QueueState) => void): void;
  close(): Promise<void>;
}
