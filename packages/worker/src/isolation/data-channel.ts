import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spool, type ObjectStore } from '../storage/index.js';
import { END_FRAME, frame, FrameDecoder } from './frames.js';
import { parseHandshake } from './protocol.js';
import type { ActiveRun } from './task-run.js';

/**
 * The worker's end of the data channel: a local socket on which task processes stream a
 * task's input from storage and its output back, framed and with back-pressure, never
 * buffered whole. Each connection names its run by token in a one-line handshake.
 */
export class DataChannel {
  readonly path = join(tmpdir(), `swy-${process.pid}-${randomUUID().slice(0, 8)}.sock`);
  private readonly sockets = new Set<Socket>();
  private server?: Server;

  constructor(
    private readonly store: ObjectStore,
    private readonly runOf: (token: string) => ActiveRun | undefined,
  ) {}

  async listen(): Promise<void> {
    this.server = createServer({ allowHalfOpen: true }, (socket) => this.onConnection(socket));
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(this.path, () => resolve());
    });
  }

  private onConnection(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    let head = Buffer.alloc(0);
    const onChunk = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const newline = head.indexOf(10);
      if (newline < 0) return;
      socket.off('data', onChunk);
      socket.pause();
      const rest = head.subarray(newline + 1);
      const hs = parseHandshake(head.subarray(0, newline).toString('utf8'));
      const run = hs ? this.runOf(hs.token) : undefined;
      if (!hs || !run) {
        socket.destroy();
        return;
      }
      if (hs.direction === 'in') void this.sendInput(socket, run, hs.key ?? '');
      else this.receiveOutput(socket, run, rest);
    };
    socket.on('data', onChunk);
    socket.on('error', () => undefined);
  }

  private async sendInput(socket: Socket, run: ActiveRun, key: string): Promise<void> {
    try {
      const input = await this.store.read(key);
      for await (const chunk of input) {
        if (!socket.write(frame(chunk as Buffer))) await new Promise((r) => socket.once('drain', r));
        if (socket.destroyed) return;
      }
      socket.end(END_FRAME);
    } catch (err) {
      // The task process sees its input cut; the outcome names the storage's failure instead.
      run.inputError = err;
      socket.destroy();
    }
  }

  private receiveOutput(socket: Socket, run: ActiveRun, rest: Buffer): void {
    const decoder = new FrameDecoder('output');
    // The task process has sent everything: close our side too (the socket is half-open).
    socket.on('end', () => socket.end());
    socket.on('close', () => {
      if (!decoder.writableEnded) decoder.end();
    });
    if (rest.byteLength) decoder.write(rest);
    socket.pipe(decoder);
    run.receiveOutput(spool(decoder));
    socket.resume();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    rmSync(this.path, { force: true });
  }
}
