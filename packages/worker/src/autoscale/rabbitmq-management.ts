import { WorkerError } from '../errors/index.js';
import type { QueueDepth } from './decide.js';
import type { QueueDepthSource } from './ports.js';

interface QueueInfo {
  messages_ready?: number;
  messages_unacknowledged?: number;
  message_stats?: { publish_details?: { rate?: number }; ack_details?: { rate?: number } };
}

/**
 * Queue depth from the RabbitMQ management API (`GET /api/queues/<vhost>/<name>`). Its
 * figures are refreshed every `collect_statistics_interval` (5 s by default), which bounds
 * how fast the autoscaler can see a burst.
 */
export class RabbitMqManagementDepth implements QueueDepthSource {
  private readonly base: string;
  private readonly authorization: string | undefined;

  constructor(
    managementUrl: string,
    private readonly vhost = '/',
  ) {
    const url = new URL(managementUrl);
    this.authorization = url.username
      ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
      : undefined;
    url.username = '';
    url.password = '';
    this.base = url.href.replace(/\/+$/, '');
  }

  async depth(queue: string): Promise<QueueDepth> {
    const url = `${this.base}/api/queues/${encodeURIComponent(this.vhost)}/${encodeURIComponent(queue)}`;
    let res: Response;
    try {
      res = await fetch(url, {
        headers: this.authorization ? { authorization: this.authorization } : {},
        signal: AbortSignal.timeout(5_000),
      });
    } catch (err) {
      throw new WorkerError('SWY_WORKER_QUEUE_UNAVAILABLE', {
        message: `cannot read the depth of ${queue} from the management API`,
        cause: err,
      });
    }
    if (res.status === 404) return { ready: 0, unacked: 0, publishRate: 0, ackRate: 0 };
    if (!res.ok)
      throw new WorkerError('SWY_WORKER_QUEUE_UNAVAILABLE', {
        message: `the management API answered ${res.status} for ${queue}`,
      });
    const info = (await res.json()) as QueueInfo;
    return {
      ready: info.messages_ready ?? 0,
      unacked: info.messages_unacknowledged ?? 0,
      publishRate: info.message_stats?.publish_details?.rate ?? 0,
      ackRate: info.message_stats?.ack_details?.rate ?? 0,
    };
  }
}
