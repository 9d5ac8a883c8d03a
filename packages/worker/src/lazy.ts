import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

/**
 * A CommonJS dependency loaded on first use. Task processes load the worker's script, and so
 * this package, again; they never talk to the broker or serve metrics, and each megabyte and
 * millisecond those libraries would cost them is taken from every task's memory limit and
 * from every restart after a limit was hit.
 */
export function lazy<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= requireHere(id) as T);
}
