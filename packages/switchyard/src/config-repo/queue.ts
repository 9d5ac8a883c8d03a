/** Runs work one at a time, in arrival order. */
export class Queue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** One writer per working copy in this process; git's own locks guard against others. */
const queues = new Map<string, Queue>();

/** The queue of the working copy at `dir` (an absolute path), shared by every repository object on it. */
export function writerQueue(dir: string): Queue {
  let queue = queues.get(dir);
  if (!queue) queues.set(dir, (queue = new Queue()));
  return queue;
}
