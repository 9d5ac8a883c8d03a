import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, writeConfig } from '../../test/support/cli.js';
import { baseTexts, deleteIn, setIn, type Texts } from '../../test/support/config.js';

/**
 * Bad configuration, as a user meets it: each case runs `switchyard render` on a broken
 * copy of a valid configuration and expects the file, the path, what is wrong and a hint,
 * a non-zero exit, no stack trace and nothing written.
 */

interface Case {
  readonly name: string;
  readonly change: (t: Texts) => void;
  /** The file the error must name. */
  readonly file: string;
  /** The path inside the file (or a line:column prefix) the error must name. */
  readonly path?: string;
  /** What the message must say. */
  readonly says: RegExp;
  readonly env?: string;
  readonly exit?: number;
}

const SVC = 'services/api.yaml';
const WRK = 'services/encoder.yaml';
const PROD = 'environments/production.yaml';
const SBX = 'environments/sandbox.yaml';

const svc = (path: string, value: unknown) => (t: Texts) => void (t[SVC] = setIn(t[SVC] as string, path, value));
const wrk = (path: string, value: unknown) => (t: Texts) => void (t[WRK] = setIn(t[WRK] as string, path, value));
const env = (path: string, value: unknown) => (t: Texts) => void (t[PROD] = setIn(t[PROD] as string, path, value));
const sbx = (path: string, value: unknown) => (t: Texts) => void (t[SBX] = setIn(t[SBX] as string, path, value));
const svcText = (change: (text: string) => string) => (t: Texts) => void (t[SVC] = change(t[SVC] as string));
const secondService = (t: Texts) => void (t['services/web.yaml'] = setIn(t[SVC] as string, 'name', 'web'));
const svcDelete = (path: string) => (t: Texts) => void (t[SVC] = deleteIn(t[SVC] as string, path));
const schedule = (change: Record<string, unknown>) =>
  svc('autoscaling', {
    cpu: { max: 10 },
    schedule: [{ cron: '30 19 * * *', duration: '4h', minReplicas: 4, ...change }],
  });
const laughs = Array.from({ length: 8 }, (_, i) =>
  i === 0
    ? '  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'
    : `  l${i}: &l${i} [${Array(9)
        .fill(`*l${i - 1}`)
        .join(', ')}]`,
).join('\n');
const tracks = { internal: { replicas: 2 }, free: { replicas: 2 }, paid: { replicas: 2 }, production: { replicas: 2 } };

const CASES: Case[] = [
  {
    name: 'a number given as text',
    change: svc('tracks', { ...tracks, free: { replicas: 'two' } }),
    file: SVC,
    path: 'tracks.free.replicas',
    says: /replicas must be a number \(got the text "two"\)/,
  },
  {
    name: 'a misspelt top-level key',
    change: svc('imgae', 'x/y'),
    file: SVC,
    path: 'imgae',
    says: /unknown key "imgae"[\s\S]*Did you mean "image"/,
  },
  {
    name: 'a misspelt nested key',
    change: svc('resources.cpus', '1'),
    file: SVC,
    path: 'resources.cpus',
    says: /unknown key "cpus"[\s\S]*Did you mean "cpu"/,
  },
  {
    name: 'a track with 1 replica',
    change: svc('tracks', { ...tracks, free: { replicas: 1 } }),
    file: SVC,
    path: 'tracks.free.replicas',
    says: /replicas must be ≥ 2 \(got 1\)/,
  },
  {
    name: 'a group routed to a track that does not exist',
    change: svc('traffic', {
      groups: { internal: { track: 'staff' }, free: { canaryTrack: 'free' }, paid: { canaryTrack: 'paid' } },
    }),
    file: SVC,
    path: 'traffic.groups.internal.track',
    says: /track "staff", which does not exist/,
  },
  {
    name: 'a canary share over 100',
    change: svc('traffic', {
      groups: {
        internal: { track: 'internal' },
        free: { canaryTrack: 'free', share: 150 },
        paid: { canaryTrack: 'paid' },
      },
    }),
    file: SVC,
    path: 'traffic.groups.free.share',
    says: /between 0 and 100/,
  },
  {
    name: 'a negative share',
    change: svc('traffic', {
      groups: {
        internal: { track: 'internal' },
        free: { canaryTrack: 'free', share: -5 },
        paid: { canaryTrack: 'paid' },
      },
    }),
    file: SVC,
    path: 'traffic.groups.free.share',
    says: /between 0 and 100/,
  },
  {
    name: 'a share finer than 0.01%',
    change: svc('traffic', {
      groups: {
        internal: { track: 'internal' },
        free: { canaryTrack: 'free', share: 5.555 },
        paid: { canaryTrack: 'paid' },
      },
    }),
    file: SVC,
    path: 'traffic.groups.free.share',
    says: /at most two decimals/,
  },
  {
    name: 'two files describing the same service',
    change: (t) => void (t['services/api-copy.yaml'] = t[SVC] as string),
    file: 'services/api.yaml',
    path: 'name',
    says: /api is also described in services\/api-copy.yaml/,
  },
  {
    name: 'an overlay for an unknown service',
    change: env('services', { apii: { router: { replicas: 3 } } }),
    file: PROD,
    path: 'services.apii',
    says: /overlay for apii, which no file under services\/ describes/,
  },
  {
    name: 'a CPU quantity that is not one',
    change: svc('resources.cpu', 'fast'),
    file: SVC,
    path: 'resources.cpu',
    says: /positive CPU quantity such as 250m/,
  },
  {
    name: 'a memory quantity with a space',
    change: svc('resources.memory', '12 GB'),
    file: SVC,
    path: 'resources.memory',
    says: /memory quantity such as 256Mi/,
  },
  {
    name: 'memory in millibytes',
    change: svc('resources.memory', '500m'),
    file: SVC,
    path: 'resources.memory',
    says: /memory quantity/,
  },
  {
    name: 'a zero CPU request',
    change: svc('resources.cpu', 0),
    file: SVC,
    path: 'resources.cpu',
    says: /positive CPU quantity/,
  },
  {
    name: 'a YAML syntax error',
    change: (t) => void (t[SVC] = 'kind: Service\nname: api\n  team: web\n'),
    file: SVC,
    path: ':2',
    says: /YAML syntax error/,
  },
  {
    name: 'a duplicated key',
    change: (t) => void (t[SVC] = `${t[SVC] as string}team: other\n`),
    file: SVC,
    says: /YAML syntax error: Map keys must be unique/,
  },
  { name: 'an empty file', change: (t) => void (t[SVC] = ''), file: SVC, says: /the file is empty/ },
  {
    name: 'a file of comments only',
    change: (t) => void (t[SVC] = '# nothing here yet\n'),
    file: SVC,
    says: /the file is empty/,
  },
  {
    name: 'two documents in one file',
    change: (t) => void (t[SVC] = `${t[SVC] as string}---\n${t[WRK] as string}`),
    file: SVC,
    says: /more than one YAML document/,
  },
  {
    name: 'a list at the top level',
    change: (t) => void (t[SVC] = '- kind: Service\n- name: api\n'),
    file: SVC,
    says: /must hold a mapping/,
  },
  {
    name: 'a missing kind',
    change: svcDelete('kind'),
    file: SVC,
    path: 'kind',
    says: /kind is required[\s\S]*kind: Service/,
  },
  {
    name: 'an unknown kind',
    change: svc('kind', 'Deployment'),
    file: SVC,
    path: 'kind',
    says: /kind must be Service or Worker \(got "Deployment"\)/,
  },
  { name: 'a missing name', change: svcDelete('name'), file: SVC, path: 'name', says: /name is required/ },
  {
    name: 'a name with capitals',
    change: svc('name', 'CatalogAPI'),
    file: SVC,
    path: 'name',
    says: /lowercase letters, digits and dashes/,
  },
  {
    name: 'a name too long',
    change: svc('name', 'a'.repeat(41)),
    file: SVC,
    path: 'name',
    says: /at most 40 characters/,
  },
  { name: 'a missing team', change: svcDelete('team'), file: SVC, path: 'team', says: /team is required/ },
  { name: 'a missing version', change: svcDelete('version'), file: SVC, path: 'version', says: /version is required/ },
  {
    name: 'a version that is not an image tag',
    change: svc('version', '1.0/beta'),
    file: SVC,
    path: 'version',
    says: /must be an image tag/,
  },
  {
    name: 'an image with its tag',
    change: svc('image', 'registry.example.com/video/api:1.0'),
    file: SVC,
    path: 'image',
    says: /without a tag or digest/,
  },
  {
    name: 'missing resources',
    change: svcDelete('resources'),
    file: SVC,
    path: 'resources',
    says: /resources is required/,
  },
  {
    name: 'a probe with both path and exec',
    change: svc('probes.readiness', { path: '/ready', exec: ['true'] }),
    file: SVC,
    path: 'probes.readiness',
    says: /exactly one of path/,
  },
  {
    name: 'a probe path without a slash',
    change: svc('probes.liveness', { path: 'healthz' }),
    file: SVC,
    path: 'probes.liveness.path',
    says: /starting with \//,
  },
  { name: 'a port out of range', change: svc('port', 70000), file: SVC, path: 'port', says: /between 1 and 65535/ },
  {
    name: 'a CPU limit below the request',
    change: svc('resources.limits', { cpu: '50m' }),
    file: SVC,
    path: 'resources.limits.cpu',
    says: /cpu limit is lower than the cpu request/,
  },
  {
    name: 'the stable track as a canary track',
    change: svc('traffic', {
      groups: {
        internal: { track: 'internal' },
        free: { canaryTrack: 'production' },
        paid: { canaryTrack: 'paid' },
        x: { canaryTrack: 'free' },
      },
    }),
    file: SVC,
    path: 'traffic.groups.free.canaryTrack',
    says: /uses the stable track production as its canary track/,
  },
  {
    name: 'a group both pinned and split',
    change: svc('traffic', {
      groups: { internal: { track: 'internal', canaryTrack: 'free' }, paid: { canaryTrack: 'paid' } },
    }),
    file: SVC,
    path: 'traffic.groups.internal',
    says: /sets both track and canaryTrack/,
  },
  {
    name: 'a never-canary group with a share',
    change: svc('traffic', {
      groups: {
        internal: { track: 'internal' },
        free: { canaryTrack: 'free' },
        paid: { canaryTrack: 'paid' },
        enterprise: { canary: false, share: 5 },
      },
    }),
    file: SVC,
    path: 'traffic.groups.enterprise',
    says: /never sees a canary \(canary: false\) but sets share/,
  },
  {
    name: 'a share without a canary track',
    change: svc('traffic', {
      groups: {
        internal: { track: 'internal' },
        free: { canaryTrack: 'free' },
        paid: { canaryTrack: 'paid' },
        gold: { share: 5 },
      },
    }),
    file: SVC,
    path: 'traffic.groups.gold.share',
    says: /sets a share but no canaryTrack/,
  },
  {
    name: 'an unknown default group',
    change: svc('traffic', { defaultGroup: 'anonymous' }),
    file: SVC,
    path: 'traffic.defaultGroup',
    says: /defaultGroup "anonymous" is not a traffic group/,
  },
  {
    name: 'an unknown stable track',
    change: svc('traffic', { stableTrack: 'prod' }),
    file: SVC,
    path: 'traffic.stableTrack',
    says: /stableTrack "prod" is not a track/,
  },
  {
    name: 'a track no traffic reaches',
    change: svc('tracks', { beta: { replicas: 2 }, ...tracks }),
    file: SVC,
    path: 'tracks.beta',
    says: /track beta receives no traffic/,
  },
  {
    name: 'a reserved track name',
    change: svc('tracks', { ...tracks, router: { replicas: 2 } }),
    file: SVC,
    path: 'tracks.router',
    says: /track name "router" is reserved/,
  },
  {
    name: 'a user key with a header and a cookie',
    change: svc('traffic', { userKey: { header: 'X-User-Id', cookie: 'sid' } }),
    file: SVC,
    path: 'traffic.userKey',
    says: /exactly one of header or cookie/,
  },
  {
    name: 'the user key on the group header',
    change: svc('traffic', { userKey: { header: 'x-traffic-group' } }),
    file: SVC,
    path: 'traffic.userKey.header',
    says: /same header as groupHeader/,
  },
  {
    name: 'a legacy address without a port',
    change: svc('legacy', { address: 'legacy.internal' }),
    file: SVC,
    path: 'legacy.address',
    says: /host:port/,
  },
  {
    name: 'autoscaling min above max',
    change: svc('autoscaling', { cpu: { min: 8, max: 4 } }),
    file: SVC,
    path: 'autoscaling.cpu.min',
    says: /autoscaling min \(8\) is above max \(4\)/,
  },
  {
    name: 'a cron with four fields',
    change: svc('autoscaling', { cpu: { max: 10 }, schedule: [{ cron: '30 19 * *', duration: '4h', minReplicas: 4 }] }),
    file: SVC,
    path: 'autoscaling.schedule.0.cron',
    says: /five-field cron/,
  },
  {
    name: 'a duration in words',
    change: svc('autoscaling', {
      cpu: { max: 10 },
      schedule: [{ cron: '30 19 * * *', duration: '4 hours', minReplicas: 4 }],
    }),
    file: SVC,
    path: 'autoscaling.schedule.0.duration',
    says: /must be a duration such as 250ms, 90s, 5m, 1h30m or 2d, not "4 hours"/,
  },
  {
    name: 'autoscaling with nothing to scale on',
    change: svc('autoscaling', {}),
    file: SVC,
    path: 'autoscaling',
    says: /must set cpu, schedule or both/,
  },
  {
    name: 'a node pool class that is not a ratio',
    change: svc('nodePool', { class: 'large' }),
    file: SVC,
    path: 'nodePool.class',
    says: /CPU:memory ratio/,
  },
  {
    name: 'an exemption without a real reason',
    change: svc('policy', { exempt: { 'probes-differ': 'because' } }),
    file: SVC,
    path: 'policy.exempt.probes-differ',
    says: /reason of at least 10 characters/,
  },
  {
    name: 'a fallback class smaller than the normal one',
    change: wrk('fallback', { cpu: '250m', memory: '2Gi', timeout: '300s' }),
    file: WRK,
    path: 'fallback.cpu',
    says: /fallback cpu is smaller than normal cpu/,
  },
  {
    name: 'a worker without a queue',
    change: (t) => void (t[WRK] = deleteIn(t[WRK] as string, 'queue')),
    file: WRK,
    path: 'queue',
    says: /queue is required/,
  },
  {
    name: 'two workers on one queue',
    change: (t) => void (t['services/encoder2.yaml'] = setIn(t[WRK] as string, 'name', 'encoder2')),
    file: 'services/encoder2.yaml',
    path: 'queue.name',
    says: /queue encode is also consumed by encoder/,
  },
  {
    name: 'a retry delay longer than its maximum',
    change: wrk('retry', { initialDelay: '10m', maxDelay: '1m' }),
    file: WRK,
    path: 'retry.initialDelay',
    says: /initialDelay is longer than maxDelay/,
  },
  {
    name: 'an unknown runtime',
    change: env('runtime', 'docker'),
    file: PROD,
    path: 'runtime',
    says: /must be one of "local", "kubernetes"/,
  },
  {
    name: 'an environment named unlike its file',
    change: env('name', 'prod'),
    file: PROD,
    path: 'name',
    says: /does not match its file name/,
  },
  {
    name: 'an unknown key in an environment',
    change: env('clusters', {}),
    file: PROD,
    path: 'clusters',
    says: /unknown key "clusters"[\s\S]*Did you mean "cluster"/,
  },
  {
    name: 'an overlay that renames a service',
    change: env('services', { api: { name: 'api2' } }),
    file: PROD,
    path: 'services.api.name',
    says: /an overlay cannot change name/,
  },
  {
    name: 'an overlay that breaks a value, reported in the environment file',
    change: env('services', { api: { tracks: { free: { replicas: 1 } } } }),
    file: PROD,
    path: 'services.api.tracks.free.replicas',
    says: /replicas must be ≥ 2/,
  },
  {
    name: 'an overlay of an unknown key',
    change: env('services', { api: { replicaz: 3 } }),
    file: PROD,
    path: 'services.api.replicaz',
    says: /unknown key "replicaz"/,
  },
  {
    name: 'a service on Kubernetes without an image',
    change: svcDelete('image'),
    file: SVC,
    path: 'image',
    says: /image is required: environment production runs on Kubernetes/,
  },
  {
    name: 'a service on the local runtime without a command',
    change: svcDelete('command'),
    env: 'sandbox',
    file: SVC,
    path: 'command',
    says: /command is required: environment sandbox runs on the local runtime/,
  },
  {
    name: 'a group name with capitals',
    change: svc('traffic', { groups: { Gold: { canaryTrack: 'free' } } }),
    file: SVC,
    path: 'traffic.groups.Gold',
    says: /"Gold" must be lowercase/,
  },
  // YAML that parses but would make every later step pay: each a problem at its line.
  {
    name: 'a YAML alias bomb (billion laughs)',
    change: svcText((text) => `${text}labels:\n${laughs}\n`),
    file: SVC,
    path: ':22',
    says: /aliases up to here repeat more than 10000 values/,
  },
  {
    name: 'an alias to no anchor',
    change: svcText((text) => text.replace('version: 1.0.0', 'version: *release')),
    file: SVC,
    path: ':9',
    says: /the alias \*release names no anchor/,
  },
  {
    name: 'an alias inside its own anchor',
    change: svcText((text) => text.replace('kind: Service', 'kind: &k [*k]')),
    file: SVC,
    path: ':2',
    says: /would contain itself/,
  },
  {
    name: 'one key written twice as 1 and "1"',
    change: svcText((text) => `${text}labels:\n  1: a\n  "1": b\n`),
    file: SVC,
    path: ':19',
    says: /Map keys must be unique; "1" is set twice/,
  },
  // Values that parse and pass their types but cannot work.
  {
    name: 'a freeze in a time zone that does not exist',
    change: env('freezes', [{ name: 'weekend', from: 'fri 16:00', to: 'mon 08:00', timezone: 'Mars/Olympus' }]),
    file: PROD,
    path: 'freezes.0.timezone',
    says: /"Mars\/Olympus" is not a time zone/,
  },
  {
    name: 'a misspelt time zone',
    change: schedule({ timezone: 'Europe/Pariss' }),
    file: SVC,
    path: 'autoscaling.schedule.0.timezone',
    says: /not a time zone[\s\S]*Did you mean "Europe\/Paris"/,
  },
  {
    name: 'a schedule window in a time zone that does not exist',
    change: schedule({ timezone: 'Mars/Olympus' }),
    file: SVC,
    path: 'autoscaling.schedule.0.timezone',
    says: /"Mars\/Olympus" is not a time zone/,
  },
  {
    name: 'a cron that never fires',
    change: schedule({ cron: '0 0 31 2 *' }),
    file: SVC,
    path: 'autoscaling.schedule.0.cron',
    says: /"0 0 31 2 \*" never fires/,
  },
  {
    name: 'five words that are not a cron',
    change: schedule({ cron: 'a b c d e' }),
    file: SVC,
    path: 'autoscaling.schedule.0.cron',
    says: /"a b c d e" is not a cron expression/,
  },
  {
    name: 'a cron minute out of range',
    change: schedule({ cron: '60 19 * * *' }),
    file: SVC,
    path: 'autoscaling.schedule.0.cron',
    says: /not a cron expression.*minute/,
  },
  {
    name: 'a schedule window of no time',
    change: schedule({ duration: '0s' }),
    file: SVC,
    path: 'autoscaling.schedule.0.duration',
    says: /must be longer than 0/,
  },
  {
    name: 'a stage of no time',
    change: svc('release', { stages: [{ name: 'all', track: 'production', duration: '0s' }] }),
    file: SVC,
    path: 'release.stages.0.duration',
    says: /must be longer than 0/,
  },
  {
    name: 'gates measured every 0 ms',
    change: svc('release', { interval: '0ms' }),
    file: SVC,
    path: 'release.interval',
    says: /must be longer than 0/,
  },
  {
    name: 'a stage inconclusive at once',
    change: svc('release', { inconclusiveAfter: '0m' }),
    file: SVC,
    path: 'release.inconclusiveAfter',
    says: /must be longer than 0/,
  },
  {
    name: 'a response-time gate of 0 ms',
    change: svc('release', { gates: [{ metric: 'response-time', max: '0ms' }] }),
    file: SVC,
    path: 'release.gates.0.max',
    says: /must be longer than 0/,
  },
  {
    name: 'a worker class with no time for a task',
    change: wrk('normal.timeout', '0s'),
    file: WRK,
    path: 'normal.timeout',
    says: /must be longer than 0/,
  },
  {
    name: 'the stats port on the router port',
    change: sbx('local', { routerPort: 8400, statsPort: 8400 }),
    env: 'sandbox',
    file: SBX,
    path: 'local.statsPort',
    says: /port 8400 is both the router port of api and the stats port of api/,
  },
  {
    name: 'router ports running into stats ports',
    change: (t) => (secondService(t), sbx('local', { routerPort: 9000, statsPort: 9001 })(t)),
    env: 'sandbox',
    file: SBX,
    path: 'local.statsPort',
    says: /port 9001 is both the router port of web and the stats port of api/,
  },
  {
    name: 'the API port on a router port',
    change: sbx('local', { apiPort: 8080 }),
    env: 'sandbox',
    file: SBX,
    path: 'local.apiPort',
    says: /port 8080 is both the router port of api and the API port/,
  },
  {
    name: "a service's own router port on a stats port",
    change: sbx('local', { ports: { api: 8400 } }),
    env: 'sandbox',
    file: SBX,
    path: 'local.ports.api',
    says: /port 8400 is both the router port of api and the stats port of api/,
  },
  {
    name: 'router ports past 65535',
    change: (t) => (secondService(t), sbx('local', { routerPort: 65535 })(t)),
    env: 'sandbox',
    file: SBX,
    path: 'local.routerPort',
    says: /router port of web would be 65536/,
  },
  {
    name: 'an environment that does not exist',
    change: () => undefined,
    env: 'prod',
    file: '',
    says: /The environment prod does not exist[\s\S]*Use one of: production, sandbox/,
    exit: 66,
  },
];

describe.concurrent('bad input', () => {
  it('covers at least 40 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const texts = baseTexts();
      c.change(texts);
      const dir = await writeConfig(texts);
      const out = join(dir, 'rendered');
      const result = await runCli(['render', dir, '--env', c.env ?? 'production', '--out-dir', out]);
      expect(result.code, result.stderr).toBe(c.exit ?? 2);
      expect(result.stderr).toMatch(c.says);
      if (c.file) {
        const location = c.path?.startsWith(':') ? `${c.file}${c.path}` : c.path ? `${c.file}:` : c.file;
        expect(result.stderr).toContain(location);
        if (c.path && !c.path.startsWith(':'))
          expect(result.stderr).toMatch(new RegExp(`${escape(c.file)}:\\d+:\\d+: ${escape(c.path)}`));
      }
      expect(result.stderr).toMatch(/hint: \S/);
      expect(result.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
      expect(result.stdout).toBe('');
      expect(existsSync(out)).toBe(false);
    });
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
