import { RabbitMqDepth, RabbitMqManagementDepth } from '@switchyard/worker';
import { EXIT } from '../errors/index.js';
import type { RunningServer, ServerOptions } from '../server/index.js';
import { paint } from './format.js';

/** What `up` and `server` share while they run in the foreground: their lines, the workers' settings, the stop. */

export { describeEvent } from '../runtime/index.js';

/** What workers need from this machine: the broker, object storage, and the broker's management API for autoscaling. */
export function workerSettings(): NonNullable<ServerOptions['workers']> {
  const pass = [
    'SWITCHYARD_AMQP_URL',
    'SWITCHYARD_S3_ENDPOINT',
    'AWS_ENDPOINT_URL_S3',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_REGION',
  ];
  const env = Object.fromEntries(pass.filter((k) => process.env[k]).map((k) => [k, process.env[k] as string]));
  const management = process.env.SWITCHYARD_RABBIT_MGMT_URL;
  const amqp = process.env.SWITCHYARD_AMQP_URL;
  return {
    env,
    ...(management && amqp ? { depth: new RabbitMqDepth({ amqpUrl: amqp, managementUrl: management }) } : {}),
    // Health answers within seconds even when the broker does not.
    ...(management ? { readings: new RabbitMqManagementDepth(management, '/', 2_000) } : {}),
  };
}

/** A line of the server's output, with the time; it clears a live status line on a terminal first. */
export function timestampedLine(out: NodeJS.WriteStream): (text: string) => void {
  const tty = out.isTTY === true;
  return (text: string) =>
    void out.write(`${tty ? '\r\x1b[2K' : ''}${paint(out, 'dim', new Date().toISOString().slice(11, 19))} ${text}\n`);
}

/**
 * Runs until SIGINT or SIGTERM, then drains and stops everything the server started. A second
 * signal stops at once: every local replica and worker is killed with its task processes, nothing waits.
 */
export async function untilStopped(
  server: RunningServer,
  out: NodeJS.WriteStream,
  beforeStop: () => void,
): Promise<void> {
  const tty = out.isTTY === true;
  await new Promise<void>((done) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        process.stderr.write('\nstopping at once\n');
        for (const e of server.environments.values()) e.runtime.stopAtOnce();
        process.exit(EXIT.interrupted);
      }
      stopping = true;
      beforeStop();
      out.write(`${tty ? '\r\x1b[2K' : ''}${signal}: draining and stopping every replica and router…\n`);
      void server.stop().then(() => {
        out.write('✔ stopped; nothing left running\n');
        done();
      });
    };
    // `on`, not `once`: the second signal must reach stop() too, or Node's default kills Switchyard alone.
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}
