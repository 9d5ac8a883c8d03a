import { WorkerError } from '../errors/index.js';
import type { QueueDepth } from './decide.js';
import type { QueueDepthSource, QueueReading, QueueReadingSource } from './ports.js';

interface QueueInfo {
  name?: string;
  messages_ready?: number;
  messages_unacknowledged?: number;
  message_stats?: {
    deliver_get?: number;
    redeliver?: number;
    publish_details?: { rate?: number };
    ack_details?: { rate?: number };
  };
}

/** The columns a reading of every queue asks for: the listing stays small however many messages wait. */
const READING_COLUMNS = [
  'name',
  'messages_ready',
  'messages_unacknowledged',
  'message_stats.deliver_get',
  'message_stats.redeliver',
].join(',');

/**
 * Queue figures from the RabbitMQ management API (`GET /api/queues/<vhost>/<name>`, or every
 * queue of the vhost at once). Its figures are refreshed every `collect_statistics_interval`
 * (5 s by default), which bounds how fast the autoscaler can see a burst.
 */
export class RabbitMqManagementDepth implements QueueDepthSource, QueueReadingSource {
  private readonly base: string;
  private readonly authorization: string | undefined;

  constructor(
    managementUrl: string,
    private readonly vhost = '/',
    private readonly timeoutMs = 5_000,
  ) {
    const url = new URL(managementUrl);
    this.authorization = url.username
      ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
      : undefined;
    url.username = '';
    url.password = '';
    this.base = url.href.replace(/\/+$/, '');
  }

  get location(): string {
    return this.base;
  }

  /** The management API's answer for `path`; undefined for a 404. */
  private async get<T>(path: string, what: string): Promise<T | undefined> {
    let res: Response;
    try {
      res = await fetch(`${this.base}/api/queues/${encodeURIComponent(this.vhost)}${path}`, {
        headers: this.authorization ? { authorization: this.authorization } : {},
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new WorkerError('SWY_WORKER_QUEUE_UNAVAILABLE', {
        message: `cannot read ${what} from the management API at ${this.base}`,
        cause: err,
      });
    }
    if (res.status === 404) return undefined;
    if (!res.ok)
      throw new WorkerError('SWY_WORKER_QUEUE_UNAVAILABLE', {
        message: `the management API at ${this.base} answered ${res.status} for ${what}`,
      });
    return (await res.json()) as T;
  }

  async depth(queue: string): Promise<QueueDepth> {
    const info = await this.get<QueueInfo>(`/${encodeURIComponent(queue)}`, `the depth of ${queue}`);
    if (!info) return { ready: 0, unacked: 0, publishRate: 0, ackRate: 0 };
    return {
      ready: info.messages_ready ?? 0,
      unacked: info.messages_unacknowledged ?? 0,
      publishRate: info.message_stats?.publish_details?.rate ?? 0,
      ackRate: info.message_stats?.ack_details?.rate ?? 0,
    };
  }

  async readings(): Promise<QueueReading[]> {
    const infos = (await this.get<QueueInfo[]>(`?columns=${READING_COLUMNS}`, 'the queues')) ?? [];
    return infos
      .filter((info): info is QueueInfo & { name: string } => typeof info.name === 'string')
      .map((info) => ({
        queue: info.name,
        ready: info.messages_ready ?? 0,
        unacked: info.messages_unacknowledged ?? 0,
        delivered: info.message_stats?.deliver_get ?? 0,
        redelivered: info.message_stats?.redeliver ?? 0,
      }));
  }
}
