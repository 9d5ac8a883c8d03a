import type * as Amqp from 'amqplib';
import type { Channel, ChannelModel } from 'amqplib';
import { WorkerError } from '../errors/index.js';
import type { QueueDepth } from './decide.js';
import type { QueueDepthSource } from './ports.js';
import { RabbitMqManagementDepth } from './rabbitmq-management.js';
import { lazy } from '../lazy.js';

const amqp = lazy<typeof Amqp>('amqplib');

export interface RabbitMqDepthOptions {
  readonly amqpUrl: string;
  readonly managementUrl: string;
  readonly vhost?: string;
}

/**
 * Queue depth from both of RabbitMQ's doors: the ready count from a passive queue declare on
 * AMQP (current to the message, so a burst is seen on the next tick) and the unacknowledged
 * count and rates from the management API (refreshed every `collect_statistics_interval`,
 * 5 s by default). Counting ready messages only would miss the tasks being worked on, the
 * pitfall of scalers that read AMQP alone; reading the management API alone sees a burst
 * seconds late.
 */
export class RabbitMqDepth implements QueueDepthSource {
  private readonly management: RabbitMqManagementDepth;
  private connection: Promise<ChannelModel> | undefined;
  private channel: Promise<Channel> | undefined;

  constructor(private readonly options: RabbitMqDepthOptions) {
    this.management = new RabbitMqManagementDepth(options.managementUrl, options.vhost);
  }

  async depth(queue: string): Promise<QueueDepth> {
    const [ready, managed] = await Promise.all([this.ready(queue), this.management.depth(queue)]);
    return { ...managed, ready: ready ?? 0 };
  }

  /** Ready messages now; undefined when the queue does not exist (yet). */
  private async ready(queue: string): Promise<number | undefined> {
    let channel: Channel;
    try {
      channel = await this.openChannel();
    } catch (err) {
      void this.reset();
      throw new WorkerError('SWY_WORKER_QUEUE_UNAVAILABLE', {
        message: `cannot read the depth of ${queue} over AMQP`,
        cause: err,
      });
    }
    try {
      return (await channel.checkQueue(queue)).messageCount;
    } catch (err) {
      // A missing queue closes the channel (404): open another next time.
      this.channel = undefined;
      if ((err as { code?: number }).code === 404) return undefined;
      void this.reset();
      throw new WorkerError('SWY_WORKER_QUEUE_UNAVAILABLE', {
        message: `cannot read the depth of ${queue} over AMQP`,
        cause: err,
      });
    }
  }

  private openChannel(): Promise<Channel> {
    this.connection ??= amqp()
      .connect(this.options.amqpUrl, { clientProperties: { connection_name: 'switchyard autoscaler' } })
      .then((conn) => {
        conn.on('error', () => undefined);
        conn.on('close', () => void this.reset());
        return conn;
      });
    if (!this.channel) {
      const opened: Promise<Channel> = this.connection.then(async (conn) => {
        const channel = await conn.createChannel();
        channel.on('error', () => undefined);
        channel.on('close', () => {
          if (this.channel === opened) this.channel = undefined;
        });
        return channel;
      });
      this.channel = opened;
    }
    return this.channel;
  }

  /** Forgets the connection (closing it): the next read opens another. */
  private async reset(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    this.channel = undefined;
    await connection?.then((c) => c.close()).catch(() => undefined);
  }

  close(): Promise<void> {
    return this.reset();
  }
}
