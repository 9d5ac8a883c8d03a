import { describe, expect, it } from 'vitest';
import { freePort } from './net.js';

describe('freePort', () => {
  it('never hands out the same port twice while the first asker may not listen yet', async () => {
    // The kernel picks among ~28,000 ephemeral ports: 600 asks repeat one almost surely.
    const ports: number[] = [];
    for (let i = 0; i < 600; i += 1) ports.push(await freePort('127.0.0.1'));
    expect(new Set(ports).size).toBe(ports.length);
  });
});
