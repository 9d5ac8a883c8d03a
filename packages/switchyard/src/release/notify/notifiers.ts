import type { Notifier } from '../ports.js';
import type { ReleaseState } from '../types.js';

/** Notifications as lines for the server's own output (what `switchyard up` shows). */
export class LogNotifier implements Notifier {
  constructor(private readonly write: (line: string) => void) {}
  async notify(level: 'info' | 'warning' | 'error', message: string): Promise<void> {
    this.write(`${level === 'error' ? '✖' : level === 'warning' ? '⚠' : 'ℹ'} ${message}`);
  }
}

/** Sends every notification to each notifier; one failing does not stop the others. */
export class Notifiers implements Notifier {
  constructor(private readonly all: readonly Notifier[]) {}
  async notify(level: 'info' | 'warning' | 'error', message: string, release: ReleaseState): Promise<void> {
    const results = await Promise.allSettled(this.all.map((n) => n.notify(level, message, release)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
