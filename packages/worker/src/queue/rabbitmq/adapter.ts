import type * as Amqp from 'amqplib';
import type { ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { WorkerError } from '../../errors/index.js';
import type { Logger } from '../../observability/log.js';
import type { Delivery, Queue, QueueMessage, QueueState, QueueTopology } from '../port.js';
import { DEAD_LETTER_EXCHANGE, declareTopology, retryQueueArguments, retryQueueName } from './topology.js';
import { lazy } from '../../lazy.js';

const amqp = lazy<typeof Amqp>('amqplib');

export interface RabbitMqQueueOptions {
  readonly url: string;
  readonly topology: QueueTopology;
  readonly log: Logger;
  /** Shown in the management UI's connection list. */
  readonly connectionName?: string;
  readonly heartbeatSeconds?: number;
}

interface Consumer {
  readonly queue: string;
  readonly prefetch: number;
  readonly onDelivery: (delivery: Delivery) => void;
  tag?: string | undefined;
}

/**
 * RabbitMQ through amqplib: one connection and one confirm channel, durable quorum queues,
 * manual acks, bounded prefetch. The connection is re-established on its own (backoff with
 * jitter) and the topology and consumer with it; deliveries from a lost connection can no
 * longer be answered (the broker has already requeued them) and say so.
 */
export class RabbitMqQueue implements Queue {
  private model: ChannelModel | undefined;
  private channel: ConfirmChannel | undefined;
  private generation = 0;
  private consumer: Consumer | undefined;
  private readonly retryQueues = new Set<string>();
  private readonly listeners: Array<(state: QueueState) => void> = [];
  private reconnectAttempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private firstConnect: { resolve: () => void } | undefined;
  state: QueueState = 'connecting';

  constructor(private readonly options: RabbitMqQueueOptions) {}

  onStateChange(listener: (state: QueueState) => void): void {
    this.listeners.push(listener);
  }

  private setState(state: QueueState): void {
    if (this.state === state) return;
    this.state = state;
    for (const l of this.listeners) l(state);
  }

  start(): Promise<void> {
    return new Promise((resolve) => {
      this.firstConnect = { resolve };
      void this.connectOnce();
    });
  }

  private async connectOnce(): Promise<void> {
    if (this.state === 'closed') return;
    let model: ChannelModel | undefined;
    try {
      model = await amqp().connect(withHeartbeat(this.options.url, this.options.heartbeatSeconds ?? 10), {
        clientProperties: { connection_name: this.options.connectionName ?? 'switchyard-worker' },
        timeout: 10_000,
        // Acks and confirms are small frames: Nagle's algorithm would hold each for tens of ms.
        noDelay: true,
      });
      model.on('error', () => undefined);
      const channel = await model.createConfirmChannel();
      channel.on('error', () => undefined);
      await declareTopology(channel, this.options.topology);
      const generation = ++this.generation;
      const onLost = () => this.lost(generation);
      model.on('close', onLost);
      channel.on('close', onLost);
      this.model = model;
      this.channel = channel;
      this.retryQueues.clear();
      if (this.consumer) await this.startConsumer(channel, this.consumer, generation);
      this.reconnectAttempt = 0;
      this.setState('connected');
      this.options.log.info('connected to the broker', { generation });
      this.firstConnect?.resolve();
      this.firstConnect = undefined;
    } catch (err) {
      await model?.close().catch(() => undefined);
      this.options.log.warn('cannot reach the broker; retrying', { code: 'SWY_WORKER_QUEUE_UNAVAILABLE', err });
      this.scheduleReconnect();
    }
  }

  private lost(generation: number): void {
    if (generation !== this.generation || this.state === 'closed' || this.state === 'disconnected') return;
    this.channel = undefined;
    const model = this.model;
    this.model = undefined;
    model?.close().catch(() => undefined);
    if (this.consumer) this.consumer.tag = undefined;
    this.setState('disconnected');
    this.options.log.warn('lost the broker connection; reconnecting', {
      code: 'SWY_WORKER_QUEUE_UNAVAILABLE',
      generation,
    });
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.state === 'closed' || this.reconnectTimer) return;
    const base = Math.min(5_000, 200 * 2 ** this.reconnectAttempt++);
    const delay = base / 2 + Math.random() * (base / 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connectOnce();
    }, delay);
  }

  private async startConsumer(channel: ConfirmChannel, consumer: Consumer, generation: number): Promise<void> {
    await channel.prefetch(consumer.prefetch);
    const reply = await channel.consume(
      consumer.queue,
      (msg) => {
        if (msg === null) {
          // Cancelled by the broker (queue deleted, leader moved): consume again on a fresh connection.
          if (generation === this.generation && this.consumer === consumer) this.lost(generation);
          return;
        }
        consumer.onDelivery(this.delivery(channel, msg, generation));
      },
      { noAck: false },
    );
    consumer.tag = reply.consumerTag;
  }

  private delivery(channel: ConfirmChannel, msg: ConsumeMessage, generation: number): Delivery {
    const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
    let answered = false;
    const answer = (fn: () => void) => {
      if (answered || generation !== this.generation || this.channel !== channel) return false;
      answered = true;
      fn();
      return true;
    };
    return {
      message: {
        body: msg.content,
        headers,
        ...(typeof msg.properties.messageId === 'string' ? { messageId: msg.properties.messageId } : {}),
      },
      deliveryCount:
        typeof headers['x-delivery-count'] === 'number' ? headers['x-delivery-count'] : msg.fields.redelivered ? 1 : 0,
      ack: () => answer(() => channel.ack(msg)),
      requeue: () => answer(() => channel.nack(msg, false, true)),
    };
  }

  async consume(queue: string, prefetch: number, onDelivery: (delivery: Delivery) => void): Promise<void> {
    this.consumer = { queue, prefetch, onDelivery };
    if (this.channel) await this.startConsumer(this.channel, this.consumer, this.generation);
  }

  async cancel(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer?.tag && this.channel) await this.channel.cancel(consumer.tag).catch(() => undefined);
  }

  private connectedChannel(): ConfirmChannel {
    if (!this.channel)
      throw new WorkerError('SWY_WORKER_QUEUE_UNAVAILABLE', { message: 'not connected to the broker' });
    return this.channel;
  }

  async publish(queue: string, message: QueueMessage, options: { readonly delayMs?: number } = {}): Promise<void> {
    let channel = this.connectedChannel();
    let target = queue;
    if (options.delayMs !== undefined && options.delayMs > 0) {
      target = retryQueueName(queue, options.delayMs);
      if (!this.retryQueues.has(target)) {
        await channel.assertQueue(target, { durable: true, arguments: retryQueueArguments(queue, options.delayMs) });
        this.retryQueues.add(target);
        channel = this.connectedChannel();
      }
    }
    await this.send(channel, '', target, message);
  }

  async deadLetter(message: QueueMessage): Promise<void> {
    await this.send(this.connectedChannel(), DEAD_LETTER_EXCHANGE, this.options.topology.deadLetterQueue, message);
  }

  private send(channel: ConfirmChannel, exchange: string, routingKey: string, message: QueueMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      const headers = Object.fromEntries(
        Object.entries(message.headers).filter(
          ([k]) =>
            !k.startsWith('x-death') &&
            !k.startsWith('x-first-death') &&
            !k.startsWith('x-last-death') &&
            k !== 'x-delivery-count',
        ),
      );
      try {
        channel.publish(
          exchange,
          routingKey,
          message.body,
          {
            persistent: true,
            contentType: 'application/json',
            // When it entered this queue (AMQP timestamps are whole seconds): a retried or escalated task gets a new one.
            timestamp: Math.floor(Date.now() / 1000),
            headers,
            mandatory: false,
            ...(message.messageId ? { messageId: message.messageId } : {}),
          },
          (err: unknown) =>
            err
              ? reject(
                  new WorkerError('SWY_WORKER_QUEUE_UNAVAILABLE', {
                    message: `the broker did not confirm a message to ${routingKey || exchange}`,
                    cause: err,
                  }),
                )
              : resolve(),
        );
      } catch (err) {
        reject(
          new WorkerError('SWY_WORKER_QUEUE_UNAVAILABLE', {
            message: `could not publish to ${routingKey || exchange}`,
            cause: err,
          }),
        );
      }
    });
  }

  async close(): Promise<void> {
    this.setState('closed');
    clearTimeout(this.reconnectTimer);
    const model = this.model;
    this.channel = undefined;
    this.model = undefined;
    this.firstConnect?.resolve();
    await model?.close().catch(() => undefined);
  }
}

/** A dead peer is noticed within two heartbeats, unless the URL already says otherwise. */
function withHeartbeat(url: string, seconds: number): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', String(seconds));
  return parsed.href;
}
