import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { defaultAdvertise } from './advertise.js';

const nic = (address: string, family: 'IPv4' | 'IPv6', internal = false) =>
  ({ address, family, internal, netmask: '', mac: '', cidr: null }) as unknown as NetworkInterfaceInfo;

describe('the address a replica advertises by default', () => {
  const pod = {
    lo: [nic('127.0.0.1', 'IPv4', true), nic('::1', 'IPv6', true)],
    eth0: [nic('fe80::1', 'IPv6'), nic('fd00::17', 'IPv6'), nic('10.0.3.17', 'IPv4')],
  };

  it('is the listen address when it names one', () => {
    expect(defaultAdvertise({ host: '127.0.0.1', port: 7070 }, pod)).toBe('http://127.0.0.1:7070');
    expect(defaultAdvertise({ host: 'fd00::17', port: 7070 }, pod)).toBe('http://[fd00::17]:7070');
  });

  it("is the host's own address (the pod IP) when listening on every address, IPv4 first", () => {
    expect(defaultAdvertise({ host: '0.0.0.0', port: 7070 }, pod)).toBe('http://10.0.3.17:7070');
    expect(defaultAdvertise({ host: '::', port: 7070 }, { eth0: [nic('fd00::17', 'IPv6')] })).toBe(
      'http://[fd00::17]:7070',
    );
    expect(defaultAdvertise({ host: '0.0.0.0', port: 7070 }, { lo: pod.lo })).toBe('http://127.0.0.1:7070');
  });
});
