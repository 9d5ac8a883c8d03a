import { Transform, type TransformCallback } from 'node:stream';

/**
 * Length-prefixed frames on the data socket, ended by an empty frame. A stream that stops
 * without the empty frame was cut (storage failed mid-read, a process died) and is reported
 * as an error, never mistaken for a complete but short input or output.
 */
export function frame(chunk: Uint8Array): Buffer {
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(chunk.byteLength, 0);
  return Buffer.concat([head, chunk]);
}

export const END_FRAME = Buffer.alloc(4);

export class StreamCut extends Error {
  constructor(what: string) {
    super(`${what} stream was cut before its end`);
    this.name = 'StreamCut';
  }
}

export class FrameDecoder extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  private ended = false;

  constructor(private readonly what: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.pending = this.pending.byteLength ? Buffer.concat([this.pending, chunk]) : chunk;
    while (!this.ended && this.pending.byteLength >= 4) {
      const length = this.pending.readUInt32BE(0);
      if (length === 0) {
        this.ended = true;
        this.pending = Buffer.alloc(0);
        break;
      }
      if (this.pending.byteLength < 4 + length) break;
      this.push(this.pending.subarray(4, 4 + length));
      this.pending = this.pending.subarray(4 + length);
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    done(this.ended ? null : new StreamCut(this.what));
  }
}
