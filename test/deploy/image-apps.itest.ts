/**
 * The example apps image (deploy/image/build --image apps): the example fleet's services and
 * worker, started as their rendered Deployments start them: no command, the pod's environment,
 * the image's numeric user. A service answers on its PORT at the pod's address; the encoding
 * worker loads the worker SDK from the image and consumes its queue on the test broker.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFleet } from '../../packages/switchyard/src/config-dir/index.js';
import {
  isDeployment,
  LABEL,
  renderFleet,
  type Container,
  type Deployment,
} from '../../packages/switchyard/src/render/index.js';
import type { Fleet } from '../../packages/switchyard/src/spec/index.js';
import { freePort } from '../../packages/switchyard/src/runtime/local/net.js';
import { REPO_ROOT } from '../../packages/switchyard/test/support/cli.js';
import { broker, infra, uniqueName } from '../../packages/worker/test/support/infra.js';
import { build, containerEnv, execIn, ImageLayout, PodProcess } from './image-support.js';

const EXAMPLE = join(REPO_ROOT, 'examples/video-platform');
const VERSION = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'packages/switchyard/package.json'), 'utf8')) as { version: string }
).version;
const work = mkdtempSync(join(tmpdir(), 'sy-image-apps-'));
let image: ImageLayout;
let fleet: Fleet;

beforeAll(async () => {
  image = ImageLayout.build(['--image', 'apps'], work);
  fleet = await loadFleet(EXAMPLE, 'production');
}, 1_800_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Every Deployment the example fleet renders for its services' tracks and its workers' classes. */
function deployments(kind: 'Service' | 'Worker'): Deployment[] {
  return renderFleet(fleet)
    .filter(({ unit }) => unit.kind === kind)
    .flatMap(({ objects }) => objects.filter(isDeployment))
    .filter((d) => d.metadata.labels?.[LABEL.component] !== 'router');
}

const containerOf = (d: Deployment): Container => d.spec.template.spec.containers[0]!;

describe('the example apps image', () => {
  it('is named switchyard/example-apps:<version>-<hash>, as containerd imports it', () => {
    expect(image.ref).toMatch(new RegExp(`^switchyard/example-apps:${VERSION.replaceAll('.', '\\.')}-[0-9a-f]{12}$`));
    expect(image.tarball).toMatch(/\/example-apps-[^/]+\.oci\.tar$/);
    expect(image.index().manifests[0]!.annotations).toEqual({
      'org.opencontainers.image.ref.name': image.tag,
      'io.containerd.image.name': `docker.io/${image.ref}`,
    });
  });

  it('starts from its own entrypoint as the numeric user the rendered pods run as (they give no command)', () => {
    const { config } = image.config();
    const all = [...deployments('Service'), ...deployments('Worker')];
    expect(all.length).toBeGreaterThanOrEqual(5);
    for (const d of all) {
      const container = containerOf(d);
      expect(container.args, d.metadata.name).toBeUndefined();
      expect(container.securityContext?.runAsNonRoot).toBe(true);
      const { runAsUser, runAsGroup } = container.securityContext ?? {};
      expect(`${runAsUser}:${runAsGroup}`, d.metadata.name).toBe(config.User);
      for (const p of container.ports ?? [])
        expect(Object.keys(config.ExposedPorts ?? {})).toContain(`${p.containerPort}/tcp`);
    }
    expect(config.User).toBe('10001:10001');
    expect(config.Entrypoint).toEqual(['/usr/bin/tini', '--', '/usr/local/bin/example-app']);
    expect(image.manifest().layers).toHaveLength(4);
  });

  it('is not built again when nothing changed', () => {
    const before = statSync(image.tarball).mtimeMs;
    expect(build(['--image', 'apps'])).toEqual([image.tarball, image.ref]);
    expect(statSync(image.tarball).mtimeMs).toBe(before);
  });

  describe.runIf(process.getuid?.() === 0)('its root filesystem', () => {
    let rootfs = '';
    beforeAll(() => {
      rootfs = image.unpack();
    });

    it("runs this machine's Node as uid 10001, who cannot change the apps", () => {
      const env = containerEnv(image.config());
      const inImage = (...argv: string[]) => execIn(rootfs, '10001:10001', env, argv);
      expect(inImage('node', '--version').stdout.trim()).toBe(process.version);
      expect(inImage('id', '-un').stdout.trim()).toBe('app');
      expect(inImage('touch', '/app/examples/video-platform/apps/http-service.mjs').code).not.toBe(0);
    });

    it("runs every example service's track as its pod does: ready and answering on its port at the pod's address", async () => {
      const config = image.config();
      const tracks = deployments('Service');
      expect(new Set(tracks.map((d) => d.metadata.labels?.[LABEL.service])).size).toBe(4);
      for (const d of tracks) {
        const container = containerOf(d);
        const env = containerEnv(config, container);
        const port = container.ports![0]!.containerPort;
        const readiness = container.readinessProbe!.httpGet!;
        expect(readiness.port).toBe(port);
        const pod = PodProcess.start(rootfs, config, { container });
        try {
          await pod.waitFor(port, readiness.path);
          const answer = pod.get(port, '/titles/42');
          expect(answer.status, pod.output()).toBe(200);
          expect(JSON.parse(answer.body)).toMatchObject({
            service: env.SWITCHYARD_SERVICE,
            track: env.SWITCHYARD_TRACK,
            version: env.SWITCHYARD_VERSION,
            path: '/titles/42',
          });
          expect(await pod.stop('SIGTERM')).toBe(0);
        } finally {
          await pod.stop('SIGKILL');
        }
      }
    });

    it('runs the encoding worker as its pod does: the worker SDK from the image, consuming its queue', async () => {
      const config = image.config();
      const normal = deployments('Worker').find((d) => d.metadata.labels?.[LABEL.workerClass] === 'normal');
      const container = containerOf(normal!);
      const rendered = containerEnv(config, container);
      // The test broker and queues of this run alone; objects in the pod's /tmp. It shares this
      // machine's network to reach the broker, so its metrics take a free port.
      const queues = ['SWITCHYARD_QUEUE', 'SWITCHYARD_FALLBACK_QUEUE', 'SWITCHYARD_DEAD_LETTER_QUEUE']
        .filter((name) => rendered[name])
        .map((name) => [name, uniqueName(`${rendered[name]}-image`)] as const);
      expect(queues.length).toBeGreaterThanOrEqual(2);
      expect(container.readinessProbe?.httpGet?.port).toBe(Number(rendered.SWITCHYARD_METRICS_PORT));
      const port = await freePort('127.0.0.1');
      const overrides = {
        ...Object.fromEntries(queues),
        SWITCHYARD_AMQP_URL: infra.amqpUrl(),
        SWITCHYARD_STORAGE_URL: 'file:///tmp/objects',
        SWITCHYARD_METRICS_PORT: String(port),
      };
      // The rendered worker pod keeps its root filesystem read-only and mounts nothing on /tmp,
      // where the worker SDK opens its task processes' socket (listen EROFS /tmp/swy-*.sock):
      // until render/worker.ts gives it one, the pod here has the emptyDir it needs.
      expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
      expect(container.volumeMounts).toBeUndefined();
      const pod = PodProcess.start(rootfs, config, {
        container: { ...container, volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }] },
        volumes: [{ name: 'tmp', emptyDir: {} }],
        env: overrides,
        hostNetwork: true,
      });
      try {
        await pod.waitFor(port, container.readinessProbe!.httpGet!.path);
        await pod.waitForOutput('worker started');
        expect(await pod.stop('SIGTERM')).toBe(0);
      } finally {
        await pod.stop('SIGKILL');
        const b = await broker();
        for (const [, queue] of queues) await b.channel.deleteQueue(queue).catch(() => undefined);
        await b.close();
      }
    });
  });
});
