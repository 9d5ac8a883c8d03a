// The example fleet's encoding worker (services/encoding-worker.yaml), written with the
// worker SDK. Queue, class, limits, retries and storage come from the platform's SWITCHYARD_*
// environment (a local directory when SWITCHYARD_STORAGE_URL is unset or file://).
// "Encoding" is a CPU-bound transform of the input bytes; many passes is a big clip.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineWorker, runWorker, TooBigForClass } from '@switchyard/worker';

async function* encode(input, passes, ctx) {
  let key = Buffer.alloc(32);
  for await (const chunk of input) {
    for (let i = 0; i < passes; i++) key = createHash('sha256').update(key).update(chunk).digest();
    yield Buffer.from(chunk.map((byte, i) => byte ^ key[i % 32]));
    ctx.progress(0.5, `${chunk.length} bytes encoded`);
  }
}

const worker = defineWorker({
  payload: z.object({ clip: z.string().min(1), passes: z.number().int().min(1).max(100_000).default(20) }),
  input: (p) => `uploads/${p.clip}`,
  output: (task) => `encoded/${task.id}.bin`,
  handler: (task, ctx) => {
    if (task.payload.passes > 2_000 && ctx.workerClass === 'normal')
      throw new TooBigForClass(`${task.payload.passes} passes: a job for the fallback class`);
    return encode(task.input(), task.payload.passes, ctx);
  },
});

await runWorker(worker);
