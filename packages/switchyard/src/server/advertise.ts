import type { NetworkInterfaceInfo } from 'node:os';

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '']);

/**
 * Where the other replicas reach this one when `--advertise` is not given: the listen address,
 * or, when that is a wildcard (0.0.0.0 in a pod), this host's first non-internal address (the
 * pod IP), IPv4 before IPv6. Loopback when there is none.
 */
export function defaultAdvertise(
  listen: { readonly host: string; readonly port: number },
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>,
): string {
  const url = (host: string) => `http://${host.includes(':') ? `[${host}]` : host}:${listen.port}`;
  if (!WILDCARDS.has(listen.host)) return url(listen.host);
  const external = Object.values(interfaces)
    .flatMap((list) => list ?? [])
    .filter((i) => !i.internal && !(i.family === 'IPv6' && i.address.startsWith('fe80:')));
  const chosen = external.find((i) => i.family === 'IPv4') ?? external[0];
  return url(chosen?.address ?? (listen.host.includes(':') ? '::1' : '127.0.0.1'));
}
