import { createServer, type Server } from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, LocalRuntime, type RuntimeEvent, type WorkerSettings } from '../../src/runtime/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { loadFleet } from '../../src/config-dir/index.js';
import { REPO_ROOT, writeConfig } from './cli.js';

export const HTTP_SERVICE = join(REPO_ROOT, 'examples/video-platform/apps/http-service.mjs');

export interface TestFleet {
  readonly server: RunningServer;
  readonly runtime: LocalRuntime;
  /** Authorization header value of the admin token. */
  readonly auth: string;
  readonly api: string;
  readonly dir: string;
  readonly dataDir: string;
  readonly url: string;
  readonly events: RuntimeEvent[];
  readonly legacy?: Server;
  stop(): Promise<void>;
}

/** A legacy backend: answers every request as the `legacy` track. */
export async function startLegacy(): Promise<{ server: Server; port: number }> {
  const port = await freePort('127.0.0.1');
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ service: 'legacy', track: 'legacy', version: 'old' }));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port };
}

export interface FleetOptions {
  readonly replicas?: number;
  /** Extra fields of the service file (release plans, command…). */
  readonly service?: Record<string, unknown>;
  /** Extra fields of the environment file (freezes, protected…). */
  readonly environment?: Record<string, unknown>;
  /** postgres://… to run on PostgreSQL instead of the embedded store. */
  readonly storeUrl?: string;
  /** Reuse a data directory (a restart of the same server). */
  readonly dataDir?: string;
  readonly tickMs?: number;
  /** How often the leader evaluates health for the alerts, and the first retry delay of a receiver that fails. */
  readonly alertsEveryMs?: number;
  readonly alertsRetryMs?: number;
  /** More files of the configuration directory (builds the command names by version…). */
  readonly files?: Record<string, string>;
  readonly legacyShare?: number;
  readonly shares?: { free?: number; paid?: number };
  readonly userKey?: { header: string } | { cookie: string };
  /** Where workers find their broker, and where health reads the workers' queues. */
  readonly workers?: WorkerSettings;
}

/** Writes a one-service configuration (four tracks, the Bitmovin groups) and runs it on the local runtime. */
export async function startTestFleet(options: FleetOptions = {}): Promise<TestFleet> {
  const replicas = options.replicas ?? 2;
  const legacy = options.legacyShare !== undefined ? await startLegacy() : undefined;
  const routerPort = await freePort('127.0.0.1');
  const statsPort = await freePort('127.0.0.1');
  const apiPort = await freePort('127.0.0.1');
  const service = {
    apiVersion: 'switchyard.dev/v1',
    kind: 'Service',
    name: 'api',
    team: 'web',
    product: 'vod',
    costCenter: 'cc-1',
    command: ['node', HTTP_SERVICE],
    version: '1.0.0',
    resources: { cpu: '100m', memory: '64Mi' },
    probes: { readiness: { path: '/ready', periodSeconds: 1 }, liveness: { path: '/healthz' } },
    terminationGraceSeconds: 5,
    tracks: { internal: { replicas }, free: { replicas }, paid: { replicas }, production: { replicas } },
    traffic: {
      userKey: options.userKey ?? { header: 'X-User-Id' },
      groups: {
        internal: { track: 'internal' },
        free: { canaryTrack: 'free', share: options.shares?.free ?? 5 },
        paid: { canaryTrack: 'paid', share: options.shares?.paid ?? 5 },
        enterprise: { canary: false },
      },
    },
    ...(legacy ? { legacy: { address: `127.0.0.1:${legacy.port}`, share: options.legacyShare } } : {}),
    ...options.service,
  };
  const environment = {
    apiVersion: 'switchyard.dev/v1',
    kind: 'Environment',
    name: 'sandbox',
    runtime: 'local',
    local: { routerPort, statsPort, apiPort },
    ...options.environment,
  };
  const dir = await writeConfig({
    'services/api.yaml': stringify(service),
    'environments/sandbox.yaml': stringify(environment),
    ...options.files,
  });
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'sy-')));
  const events: RuntimeEvent[] = [];
  const server = await startServer({
    fleets: [await loadFleet(dir, 'sandbox')],
    dataDir,
    onRuntimeEvent: (e) => events.push(e),
    ...(options.storeUrl ? { storeUrl: options.storeUrl } : {}),
    ...(options.tickMs !== undefined ? { tickMs: options.tickMs } : {}),
    ...(options.alertsEveryMs !== undefined ? { alertsEveryMs: options.alertsEveryMs } : {}),
    ...(options.alertsRetryMs !== undefined ? { alertsRetryMs: options.alertsRetryMs } : {}),
    ...(options.workers ? { workers: options.workers } : {}),
  });
  // The fleet runs on this machine: tests reach into its routers and replicas.
  const runtime = server.runtime;
  if (!(runtime instanceof LocalRuntime))
    throw new Error(`expected the local runtime, got ${runtime.constructor.name}`);
  return {
    server,
    runtime,
    auth: `Bearer ${server.adminToken}`,
    api: server.address,
    dir,
    dataDir,
    url: `http://127.0.0.1:${routerPort}/`,
    events,
    ...(legacy ? { legacy: legacy.server } : {}),
    async stop() {
      await server.stop();
      legacy?.server.close();
    },
  };
}
