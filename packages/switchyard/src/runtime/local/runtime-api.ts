import { connect } from 'node:net';
import { SwitchyardError } from '../../errors/index.js';
import { refusal } from '../../router/index.js';

/**
 * HAProxy's Runtime API over its stats socket: each call is one connection in
 * non-interactive mode; several commands go in one call separated by `;`.
 */
export class RuntimeApi {
  constructor(
    readonly socketPath: string,
    private readonly timeoutMs = 5000,
  ) {}

  /** Sends one command and returns HAProxy's answer. */
  send(command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.socketPath);
      let answer = '';
      const timer = setTimeout(
        () => socket.destroy(new Error(`no answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      socket.setEncoding('utf8');
      socket.on('connect', () => socket.end(`${command}\n`));
      socket.on('data', (chunk: string) => (answer += chunk));
      socket.on('error', (err) => {
        clearTimeout(timer);
        reject(
          new SwitchyardError('SWY_ROUTER_RUNTIME_API', {
            message: `HAProxy's Runtime API at ${this.socketPath} did not answer "${command}": ${err.message}`,
            cause: err,
          }),
        );
      });
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(answer);
      });
    });
  }

  /** Sends commands that must all succeed (set map, set server…); throws on the first refusal. */
  async apply(commands: readonly string[]): Promise<void> {
    if (commands.length === 0) return;
    const answer = await this.send(commands.join('; '));
    const refused = refusal(answer);
    if (refused) {
      throw new SwitchyardError('SWY_ROUTER_RUNTIME_API', {
        message: `HAProxy refused "${commands.join('; ')}": ${refused}`,
        details: { commands, answer },
      });
    }
  }
}
