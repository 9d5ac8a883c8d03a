import type { Service } from '../spec/index.js';
import { latencyRules, latencyTableSection } from './latency.js';
import { BUCKETS, mapFile, MAP_FILES } from './maps.js';
import type { RoutingState } from './routing-state.js';

/**
 * The HAProxy configuration of one service's router, rendered from its spec. The same text
 * runs in the cluster (ConfigMap) and on one machine (the local runtime); only the servers,
 * paths and addresses differ. Everything that changes live (shares, the legacy share, the
 * group table) lives in map files, so the Runtime API can change it without a reload.
 */

export interface RouterServer {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly weight?: number;
  /** Starts in maintenance (not yet ready, or draining). */
  readonly disabled?: boolean;
}

export interface HaproxyConfigInput {
  readonly service: Service;
  readonly routing: RoutingState;
  /** Track name → its servers. */
  readonly servers: Readonly<Record<string, readonly RouterServer[]>>;
  readonly bind: string;
  readonly statsBind: string;
  /**
   * Where the Runtime API listens: a unix socket path, or an address such as
   * `ipv4@127.0.0.1:8405` (a pod's loopback, reached only through a port-forward).
   */
  readonly statsSocket: string;
  readonly mapsDir: string;
  /** Resolve server host names through the cluster's DNS (Kubernetes). */
  readonly dns: boolean;
  /** Where HAProxy logs go: `stdout` in a container, none locally. */
  readonly log?: 'stdout';
}

/** Backend name of a track (and of the legacy backend, `track_legacy`). */
export function backendName(track: string): string {
  return `track_${track}`;
}

export const LEGACY_TRACK = 'legacy';

function userKeySample(service: Service): string {
  const key = service.traffic.userKey;
  return 'header' in key ? `req.hdr(${key.header})` : `req.cook(${key.cookie})`;
}

/** Response-time histograms cost a dozen rules per answer: counted only for services whose gates read them. */
export function countsLatency(service: Service): boolean {
  return Object.values(service.release.plans).some((stages) =>
    stages.some((stage) => stage.gates.some((g) => g.metric === 'latency-vs-stable')),
  );
}

function backend(service: Service, track: string, servers: readonly RouterServer[], dns: boolean): string[] {
  const out = [
    `backend ${backendName(track)}`,
    '    balance roundrobin',
    '    option redispatch',
    '    retry-on conn-failure empty-response response-timeout',
    ...(countsLatency(service) ? latencyRules(track) : []),
  ];
  const readiness = service.probes.readiness;
  if (track !== LEGACY_TRACK && readiness?.kind === 'http') {
    out.push(`    option httpchk GET ${readiness.path}`, '    http-check expect status 200-399');
  }
  for (const server of servers) {
    const parts = [`    server ${server.name} ${server.host}:${server.port}`, 'check'];
    // A host that does not resolve yet (a legacy name, a Service not created yet) must not stop HAProxy.
    parts.push(dns ? 'resolvers cluster init-addr last,libc,none' : 'init-addr libc,none');
    if (server.weight !== undefined) parts.push(`weight ${server.weight}`);
    if (server.disabled) parts.push('disabled');
    out.push(parts.join(' '));
  }
  return out;
}

/**
 * A pinned or canary group whose track has no usable server (none ready, none started yet,
 * all failing their checks) is served by the stable track instead of answering 503. The
 * request is counted by the stable track's backend, which answered it, so a gate never judges
 * a canary on the stable track's answers. `nbsrv` follows health checks and Runtime API
 * changes live, here and in the cluster alike.
 */
function fallbackRules(service: Service): string[] {
  const others = service.tracks.map((t) => t.name).filter((t) => t !== service.stableTrack);
  if (others.length === 0) return [];
  return [
    `    # A track with no usable server: its groups go to the stable track (${service.stableTrack}) instead of failing.`,
    ...others.map(
      (t) =>
        `    http-request set-var(txn.fallback) str(${t}) if { var(txn.track) -m str ${t} } { nbsrv(${backendName(t)}) eq 0 }`,
    ),
    `    http-request set-var(txn.track) str(${service.stableTrack}) if { var(txn.fallback) -m found }`,
  ];
}

export function renderHaproxyConfig(input: HaproxyConfigInput): string {
  const { service, mapsDir } = input;
  const map = (file: string): string => mapFile(mapsDir, file);
  const userKey = userKeySample(service);
  const groupHeader = service.traffic.groupHeader;
  const lines: string[] = [
    `# Router of ${service.name} in ${service.env}, rendered by Switchyard from ${service.file}.`,
    '# Do not edit: shares and tables change live through the Runtime API and are saved to the map files.',
    'global',
    input.statsSocket.startsWith('/')
      ? `    stats socket ${input.statsSocket} mode 660 level admin expose-fd listeners`
      : `    stats socket ${input.statsSocket} level admin`,
    '    stats timeout 30s',
    '    hard-stop-after 30s',
  ];
  if (input.log === 'stdout') lines.push('    log stdout format raw local0 info');
  lines.push(
    '',
    'defaults',
    '    mode http',
    '    # Stopping (soft stop), an idle client connection is not cut under a request about to be sent:',
    '    # it stays until its next request, answered with Connection: close.',
    '    option idle-close-on-response',
    ...(input.log ? ['    log global', '    option httplog', '    option dontlognull'] : []),
    '    option redispatch',
    '    retries 3',
    '    timeout connect 2s',
    '    timeout client 60s',
    '    timeout server 60s',
    '    timeout http-request 10s',
    '    timeout http-keep-alive 10s',
    '    timeout queue 10s',
    '    default-server inter 1s fall 2 rise 1',
    '',
  );
  if (input.dns) {
    lines.push(
      'resolvers cluster',
      '    parse-resolv-conf',
      '    hold valid 10s',
      '    resolve_retries 3',
      '    timeout resolve 1s',
      '    timeout retry 1s',
      '',
    );
  }
  lines.push(
    `frontend ${service.name}`,
    `    bind ${input.bind}`,
    '    # The traffic group: the header, lowercased, when it names a known group; otherwise the default group.',
    `    http-request set-var(txn.group) str(${service.traffic.defaultGroup})`,
    `    http-request set-var(txn.group) req.hdr(${groupHeader}),lower,map_str(${map(MAP_FILES.groups)},${service.traffic.defaultGroup})`,
    '    # A pinned group (internal users) goes to its track whatever the shares.',
    `    http-request set-var(txn.track) var(txn.group),map_str(${map(MAP_FILES.pinned)})`,
    `    http-request set-var(txn.share) var(txn.group),map_str_int(${map(MAP_FILES.shares)},0) unless { var(txn.track) -m found }`,
    "    # The user's bucket: the same user key always hashes to the same bucket, so raising a share keeps every user already on the canary.",
    `    http-request set-var(txn.bucket) ${userKey},xxh32(1),mod(${BUCKETS}) if { var(txn.share) -m int gt 0 }`,
    `    http-request set-var(txn.bucket) rand(${BUCKETS}) if { var(txn.share) -m int gt 0 } !{ var(txn.bucket) -m found }`,
    `    http-request set-var(txn.track) var(txn.group),map_str(${map(MAP_FILES.canary)}) if { var(txn.share) -m int gt 0 } { var(txn.bucket),sub(txn.share) lt 0 }`,
  );
  if (service.legacy) {
    lines.push(
      '    # Gradual migration: an independent bucket decides who still goes to the legacy backend.',
      `    http-request set-var(txn.legacy_share) str(share),map_str_int(${map(MAP_FILES.legacy)},0)`,
      `    http-request set-var(txn.legacy_bucket) ${userKey},xxh32(2),mod(${BUCKETS}) if { var(txn.legacy_share) -m int gt 0 }`,
      `    http-request set-var(txn.legacy_bucket) rand(${BUCKETS}) if { var(txn.legacy_share) -m int gt 0 } !{ var(txn.legacy_bucket) -m found }`,
      `    http-request set-var(txn.track) str(${LEGACY_TRACK}) if { var(txn.legacy_share) -m int gt 0 } { var(txn.legacy_bucket),sub(txn.legacy_share) lt 0 }`,
    );
  }
  lines.push(
    `    http-request set-var(txn.track) str(${service.stableTrack}) unless { var(txn.track) -m found }`,
    ...fallbackRules(service),
  );
  lines.push(
    '    http-response set-header X-Switchyard-Track %[var(txn.track)]',
    '    http-response set-header X-Switchyard-Fallback-From %[var(txn.fallback)] if { var(txn.fallback) -m found }',
    `    use_backend ${backendName('')}%[var(txn.track)]`,
    `    default_backend ${backendName(service.stableTrack)}`,
    '',
  );
  for (const track of service.tracks) {
    lines.push(...backend(service, track.name, input.servers[track.name] ?? [], input.dns), '');
  }
  if (countsLatency(service)) lines.push(...latencyTableSection(service.tracks.length + 1), '');
  if (service.legacy) {
    const [host, port] = service.legacy.address.split(':') as [string, string];
    const legacy = backend(service, LEGACY_TRACK, [{ name: 'legacy', host, port: Number(port) }], input.dns);
    if (service.legacy.tls) legacy[legacy.length - 1] += ' ssl verify required ca-file @system-ca';
    lines.push(...legacy, '');
  }
  lines.push(
    'frontend stats',
    `    bind ${input.statsBind}`,
    '    monitor-uri /healthz',
    "    # HAProxy's own Prometheus exporter: per-backend counters and response times (haproxy_backend_*).",
    '    http-request use-service prometheus-exporter if { path /metrics }',
    '    stats enable',
    '    stats uri /stats',
    '    stats refresh 5s',
    '',
  );
  return lines.join('\n');
}
