/**
 * The router image (deploy/image/build --image router): what a service's router pods run.
 * Its HAProxy takes every router configuration Switchyard renders, starts from exactly the
 * rendered Deployment's arguments as its user, answers the Runtime API on the pod's loopback as
 * Switchyard's port-forward reaches it, and serves HAProxy's Prometheus exporter.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFleet } from '../../packages/switchyard/src/config-dir/index.js';
import {
  isDeployment,
  renderFleet,
  ROUTER_CONFIG_DIR,
  ROUTER_RUNTIME_API_PORT,
  ROUTER_STATS_PORT,
  routerName,
  type Container,
} from '../../packages/switchyard/src/render/index.js';
import {
  basisPoints,
  initialRouting,
  interactiveAnswers,
  interactiveScript,
  MAP_FILES,
  mapFile,
  planRouting,
} from '../../packages/switchyard/src/router/index.js';
import type { Service } from '../../packages/switchyard/src/spec/index.js';
import { REPO_ROOT } from '../../packages/switchyard/test/support/cli.js';
import { build, CLUSTER_DNS, containerEnv, containerUser, execIn, ImageLayout, PodProcess } from './image-support.js';

const EXAMPLE = join(REPO_ROOT, 'examples/video-platform');
const work = mkdtempSync(join(tmpdir(), 'sy-image-router-'));
let image: ImageLayout;

/** A service's router as rendered: its ConfigMap's files and its Deployment's container. */
interface RenderedRouter {
  readonly env: string;
  readonly service: Service;
  readonly files: Record<string, string>;
  readonly container: Container;
  readonly volumes: readonly unknown[];
}

async function renderedRouters(dir: string, env: string): Promise<RenderedRouter[]> {
  const out: RenderedRouter[] = [];
  for (const { unit, objects } of renderFleet(await loadFleet(dir, env))) {
    if (unit.kind !== 'Service') continue;
    const name = routerName(unit.name);
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
    const deployment = objects.filter(isDeployment).find((o) => o.metadata.name === name);
    out.push({
      env,
      service: unit,
      files: configMap!.data as Record<string, string>,
      container: deployment!.spec.template.spec.containers[0]!,
      volumes: deployment!.spec.template.spec.volumes ?? [],
    });
  }
  return out;
}

let routers: RenderedRouter[] = [];

beforeAll(async () => {
  image = ImageLayout.build(['--image', 'router'], work);
  // Every environment of the example fleet, and a legacy backend reached over TLS (verified
  // against the system's CA certificates), which no example uses.
  const tls = join(work, 'tls-example');
  cpSync(EXAMPLE, tls, { recursive: true });
  const prefs = join(tls, 'services/user-preferences-api.yaml');
  writeFileSync(prefs, readFileSync(prefs, 'utf8').replace(/^legacy:\n/m, 'legacy:\n  tls: true\n'));
  for (const env of ['production', 'staging', 'sandbox']) routers.push(...(await renderedRouters(EXAMPLE, env)));
  const tlsRouters = (await renderedRouters(tls, 'production')).filter((r) => r.service.legacy?.tls);
  expect(tlsRouters).toHaveLength(1);
  routers = [...routers, ...tlsRouters.map((r) => ({ ...r, env: 'production, legacy over TLS' }))];
}, 1_800_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

const HAPROXY_UID = 99;
/** The kubelet's resolv.conf for a pod in the namespace (dnsPolicy ClusterFirst). */
const resolvConf = (namespace: string) =>
  `search ${namespace}.svc.cluster.local svc.cluster.local cluster.local\nnameserver ${CLUSTER_DNS}\noptions ndots:5\n`;

/** The router's ConfigMap where the pod mounts it, and the kubelet's resolv.conf. */
function mountConfig(rootfs: string, router: RenderedRouter): void {
  const dir = join(rootfs, ROUTER_CONFIG_DIR);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(router.files)) writeFileSync(join(dir, file), text);
  writeFileSync(join(rootfs, 'etc/resolv.conf'), resolvConf(router.service.namespace));
}

describe('the router image', () => {
  it("is named switchyard/router:<HAProxy's version>-<hash>, as containerd imports it", () => {
    expect(image.ref).toMatch(/^switchyard\/router:\d+\.\d+\.\d+-[0-9a-f]{12}$/);
    expect(image.tarball).toMatch(/\/router-[^/]+\.oci\.tar$/);
    expect(image.index().manifests[0]!.annotations).toEqual({
      'org.opencontainers.image.ref.name': image.tag,
      'io.containerd.image.name': `docker.io/${image.ref}`,
    });
  });

  it('starts from what the rendered router Deployment gives it: its arguments, its user, its ports', () => {
    const { config } = image.config();
    expect(routers.length).toBeGreaterThanOrEqual(4);
    // No entrypoint: the Deployment's args are the whole command, as they are its default.
    expect(config.Entrypoint ?? []).toEqual([]);
    for (const { container } of routers) {
      expect(container.args).toEqual(config.Cmd);
      expect(container.securityContext?.runAsUser).toBe(HAPROXY_UID);
      expect(container.volumeMounts?.map((m) => m.mountPath)).toContain(ROUTER_CONFIG_DIR);
      for (const p of container.ports ?? [])
        expect(Object.keys(config.ExposedPorts ?? {})).toContain(`${p.containerPort}/tcp`);
    }
    expect(config.User).toBe(`${HAPROXY_UID}:${HAPROXY_UID}`);
    expect(config.StopSignal).toBe('SIGUSR1');
    expect(image.manifest().layers.map((l) => l.mediaType)).toEqual(['application/vnd.oci.image.layer.v1.tar+gzip']);
  });

  it('is not built again when nothing changed', () => {
    const before = statSync(image.tarball).mtimeMs;
    expect(build(['--image', 'router'])).toEqual([image.tarball, image.ref]);
    expect(statSync(image.tarball).mtimeMs).toBe(before);
  });

  describe.runIf(process.getuid?.() === 0)('its root filesystem', () => {
    let rootfs = '';
    beforeAll(() => {
      rootfs = image.unpack();
    });
    const user = () => containerUser(image.config(), routers[0]!.container);
    const inImage = (...argv: string[]) => execIn(rootfs, user(), containerEnv(image.config()), argv);

    it("holds the tag's HAProxy with its Prometheus exporter and the CA certificates; uid 99 is haproxy", () => {
      const version = image.tag.slice(0, image.tag.lastIndexOf('-'));
      expect(user()).toBe('99:99');
      expect(inImage('haproxy', '-v').stdout).toContain(`HAProxy version ${version}`);
      expect(inImage('haproxy', '-vv').stdout).toMatch(/Available services : .*prometheus-exporter/);
      expect(inImage('id', '-un').stdout.trim()).toBe('haproxy');
      expect(inImage('test', '-s', '/etc/ssl/certs/ca-certificates.crt').code).toBe(0);
    });

    it('accepts every router configuration Switchyard renders (haproxy -c)', () => {
      for (const router of routers) {
        mountConfig(rootfs, router);
        // A pod's network, whose DNS refuses at once: the cluster's names do not resolve here.
        const check = execIn(
          rootfs,
          user(),
          containerEnv(image.config()),
          ['haproxy', '-c', '-f', `${ROUTER_CONFIG_DIR}/haproxy.cfg`],
          {
            isolated: true,
          },
        );
        const what = `${router.service.name} in ${router.env}:\n${check.stdout}${check.stderr}`;
        expect(check.code, what).toBe(0);
        expect(check.stdout, what).toContain('Configuration file is valid');
        // The one warning expected: servers whose names resolve only in the cluster start without an address.
        const warnings = check.stderr.split('\n').filter((l) => /\[(WARNING|ALERT)\]/.test(l));
        expect(
          warnings.filter((l) => !/could not resolve address '[^']+', disabling server/.test(l)),
          what,
        ).toEqual([]);
      }
      expect(routers.some((r) => r.files['haproxy.cfg']!.includes('ca-file @system-ca'))).toBe(true);
    });

    it('runs as the router pod does: ready on its stats port, a share change through the Runtime API on its loopback, the exporter, a soft stop', async () => {
      const router = routers.find((r) => r.env === 'production' && r.service.name === 'catalog-api')!;
      mountConfig(rootfs, router);
      const config = image.config();
      const pod = PodProcess.start(rootfs, config, { container: router.container, volumes: router.volumes });
      try {
        await pod.waitFor(ROUTER_STATS_PORT, '/healthz');
        const plan = planRouting(
          router.service,
          initialRouting(router.service),
          { kind: 'share', group: 'free', share: 20 },
          ROUTER_CONFIG_DIR,
        );
        // Exactly the session Switchyard holds with the pod through a port-forward.
        const commands = [...plan.commands, `show map ${mapFile(ROUTER_CONFIG_DIR, MAP_FILES.shares)}`];
        const session = pod.loopback(ROUTER_RUNTIME_API_PORT, interactiveScript(commands));
        expect(session.code, session.stderr).toBe(0);
        const answers = interactiveAnswers(session.stdout, commands.length);
        expect(answers, session.stdout).toBeDefined();
        expect(answers?.slice(0, -1)).toEqual(plan.commands.map(() => ''));
        expect(answers?.at(-1)).toContain(`free ${basisPoints(20)}`);
        // Nothing but the loopback: the pod's own address does not answer the Runtime API.
        expect(pod.get(ROUTER_RUNTIME_API_PORT, '/').status).toBe(0);
        const metrics = pod.get(ROUTER_STATS_PORT, '/metrics');
        expect(metrics.status).toBe(200);
        expect(metrics.body).toMatch(
          /^haproxy_backend_http_responses_total\{proxy="track_production",code="5xx"\} \d+/m,
        );
        expect(await pod.stop(config.config.StopSignal as NodeJS.Signals)).toBe(0);
      } finally {
        await pod.stop('SIGKILL');
      }
      expect(pod.output()).not.toMatch(/\[ALERT\]/);
    });
  });
});
