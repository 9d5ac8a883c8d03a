import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { END_FRAME, frame, FrameDecoder, StreamCut } from './frames.js';
import { handshake, parseHandshake } from './protocol.js';

async function decode(chunks: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const chunk of Readable.from(chunks).pipe(new FrameDecoder('input'))) out.push(chunk as Buffer);
  return Buffer.concat(out);
}

describe('data socket frames', () => {
  it('carries bytes across any chunking', async () => {
    const wire = Buffer.concat([frame(Buffer.from('hello ')), frame(Buffer.from('world')), END_FRAME]);
    const pieces = Array.from({ length: wire.length }, (_, i) => wire.subarray(i, i + 1));
    expect((await decode(pieces)).toString()).toBe('hello world');
  });

  it('reports a stream cut before its end frame instead of a short result', async () => {
    await expect(decode([frame(Buffer.from('partial'))])).rejects.toBeInstanceOf(StreamCut);
  });

  it('names each connection with a handshake line, keys encoded', () => {
    expect(parseHandshake(handshake('tok', 'in', 'inputs/a b.mp4').trimEnd())).toEqual({
      token: 'tok',
      direction: 'in',
      key: 'inputs/a b.mp4',
    });
    expect(parseHandshake(handshake('tok', 'out'))).toEqual({ token: 'tok', direction: 'out', key: undefined });
    expect(parseHandshake('tok sideways')).toBeUndefined();
  });
});
