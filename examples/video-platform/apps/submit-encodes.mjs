// Demo producer for the encoding worker: uploads N sample clips and submits one task each.
//   node apps/submit-encodes.mjs [count] [bigEvery]   (every bigEvery-th clip goes to the fallback class)
// Reads the same SWITCHYARD_QUEUE / SWITCHYARD_AMQP_URL / SWITCHYARD_STORAGE_URL as the worker.
import { randomBytes } from 'node:crypto';
import { createObjectStore, createTaskProducer, resolveConfig } from '@switchyard/worker';

const count = Number(process.argv[2] ?? 20);
const bigEvery = Number(process.argv[3] ?? 20);
const options = { queue: process.env.SWITCHYARD_QUEUE ?? 'encode', service: 'encoding-worker', metricsPort: false };
const store = createObjectStore(resolveConfig(options).storage);
const producer = await createTaskProducer(options);
for (let i = 0; i < count; i++) {
  const clip = `clip-${Date.now()}-${i}.raw`;
  await store.put(`uploads/${clip}`, randomBytes(256 * 1024));
  const id = await producer.submit(
    { clip, passes: i % bigEvery === bigEvery - 1 ? 5_000 : 20 },
    { id: clip.replace('.raw', '') },
  );
  console.log(JSON.stringify({ submitted: id, clip }));
}
await producer.close();
await store.close();
