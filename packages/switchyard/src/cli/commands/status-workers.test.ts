import { describe, expect, it } from 'vitest';
import { formatStatus } from './traffic.js';

describe('status of worker classes', () => {
  it('says why a class has fewer ready replicas than it wants', () => {
    const text = formatStatus(
      'sandbox',
      [],
      [
        {
          worker: 'encoder',
          workerClass: 'normal',
          queue: 'encode',
          desired: 2,
          ready: 0,
          replicas: [
            { name: 'encoder-normal-1', pid: 10, port: 9000, state: 'waiting', reason: 'waiting for the broker' },
            { name: 'encoder-normal-2', port: 0, state: 'restarting', reason: 'exited (code 1); restarting in 4 s' },
          ],
        },
        { worker: 'encoder', workerClass: 'fallback', queue: 'encode', desired: 0, ready: 0, replicas: [] },
      ],
    );
    expect(text).toContain(
      'normal 0/2 (1 waiting for the broker; 1 exited (code 1); restarting in 4 s) · fallback 0/0\n',
    );
    expect(formatStatus('sandbox', [], [], true)).toBe('sandbox:\n');
  });
});
