/**
 * Who wants to hear that what a runtime reports may have changed: a watch event on the cluster,
 * a replica that became ready or exited. Listeners are called synchronously and must be cheap
 * (they schedule their own work); one that throws does not keep the others from hearing.
 */
export class Changes {
  private readonly listeners = new Set<() => void>();

  /** Calls `listener` on every change until the returned function is called. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch {
        // A listener's failure is its own: the runtime carries on.
      }
    }
  }
}
