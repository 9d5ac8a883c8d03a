import { describe, expect, it } from 'vitest';
import { baseTexts, find, get, objectsOf, setIn, type Texts } from '../../test/support/config.js';
import type { Deployment, KubeObject } from './index.js';

/**
 * One focused test per spec option: each sets one distinctive value and asserts it lands
 * in the one place it belongs, so that an option read into the wrong field cannot hide.
 */

function withService(path: string, value: unknown): Texts {
  const texts = baseTexts();
  texts['services/api.yaml'] = setIn(texts['services/api.yaml'] as string, path, value);
  return texts;
}

function withWorker(path: string, value: unknown): Texts {
  const texts = baseTexts();
  texts['services/encoder.yaml'] = setIn(texts['services/encoder.yaml'] as string, path, value);
  return texts;
}

function withEnv(path: string, value: unknown): Texts {
  const texts = baseTexts();
  texts['environments/production.yaml'] = setIn(texts['environments/production.yaml'] as string, path, value);
  return texts;
}

const deployment = (objects: KubeObject[], name: string) => find(objects, 'Deployment', name) as Deployment;
const container = (objects: KubeObject[], name: string) => deployment(objects, name).spec.template.spec.containers[0];
const envVar = (objects: KubeObject[], name: string, variable: string) =>
  container(objects, name)?.env?.find((e) => e.name === variable)?.value;
const haproxy = (objects: KubeObject[]) =>
  get(find(objects, 'ConfigMap', 'api-router'), 'data') as Record<string, string>;

describe('service options', () => {
  it('port → container port, track Service port, PORT, router servers', () => {
    const o = objectsOf(withService('port', 9123));
    expect(get(container(o, 'api-free'), 'ports.0.containerPort')).toBe(9123);
    expect(get(find(o, 'Service', 'api-free'), 'spec.ports.0.port')).toBe(9123);
    expect(envVar(o, 'api-free', 'PORT')).toBe('9123');
    expect(haproxy(o)['haproxy.cfg']).toContain('api-free.video.svc.cluster.local:9123');
  });

  it('resources.cpu → requests.cpu, and the default CPU limit is twice it', () => {
    const o = objectsOf(withService('resources.cpu', '333m'));
    expect(get(container(o, 'api-production'), 'resources.requests.cpu')).toBe('333m');
    expect(get(container(o, 'api-production'), 'resources.limits.cpu')).toBe('666m');
  });

  it('resources.memory → requests.memory, and the default memory limit equals it', () => {
    const o = objectsOf(withService('resources.memory', '321Mi'));
    expect(get(container(o, 'api-production'), 'resources.requests.memory')).toBe('321Mi');
    expect(get(container(o, 'api-production'), 'resources.limits.memory')).toBe('321Mi');
  });

  it('resources.limits.cpu → limits.cpu only', () => {
    const o = objectsOf(withService('resources.limits', { cpu: '777m' }));
    expect(get(container(o, 'api-production'), 'resources.limits.cpu')).toBe('777m');
    expect(get(container(o, 'api-production'), 'resources.requests.cpu')).toBe('100m');
  });

  it('resources.limits.memory → limits.memory only', () => {
    const o = objectsOf(withService('resources.limits', { memory: '999Mi' }));
    expect(get(container(o, 'api-production'), 'resources.limits.memory')).toBe('999Mi');
    expect(get(container(o, 'api-production'), 'resources.requests.memory')).toBe('128Mi');
  });

  it('probes.readiness → readinessProbe and the router health check', () => {
    const o = objectsOf(
      withService('probes.readiness', {
        path: '/r-x',
        periodSeconds: 7,
        timeoutSeconds: 3,
        failureThreshold: 4,
        initialDelaySeconds: 9,
        port: 9001,
      }),
    );
    expect(container(o, 'api-paid')?.readinessProbe).toEqual({
      httpGet: { path: '/r-x', port: 9001 },
      periodSeconds: 7,
      timeoutSeconds: 3,
      failureThreshold: 4,
      initialDelaySeconds: 9,
    });
    expect(get(container(o, 'api-paid'), 'livenessProbe.httpGet.path')).toBe('/healthz');
    expect(haproxy(o)['haproxy.cfg']).toContain('option httpchk GET /r-x');
  });

  it('probes.liveness → livenessProbe', () => {
    const o = objectsOf(withService('probes.liveness', { exec: ['cat', '/tmp/alive'], periodSeconds: 11 }));
    expect(get(container(o, 'api-paid'), 'livenessProbe.exec.command')).toEqual(['cat', '/tmp/alive']);
    expect(get(container(o, 'api-paid'), 'livenessProbe.periodSeconds')).toBe(11);
    expect(get(container(o, 'api-paid'), 'readinessProbe.httpGet.path')).toBe('/ready');
  });

  it('probes.startup → startupProbe', () => {
    const o = objectsOf(withService('probes.startup', { tcp: true, failureThreshold: 30 }));
    expect(get(container(o, 'api-paid'), 'startupProbe.tcpSocket.port')).toBe(8080);
    expect(get(container(o, 'api-paid'), 'startupProbe.failureThreshold')).toBe(30);
  });

  it('team, product, costCenter → their own labels on every object', () => {
    const texts = withService('team', 'team-x');
    texts['services/api.yaml'] = setIn(
      setIn(texts['services/api.yaml'] as string, 'product', 'product-y'),
      'costCenter',
      'cc-z',
    );
    const o = objectsOf(texts).filter((x) => x.metadata.labels?.['switchyard.dev/service'] === 'api');
    expect(o.length).toBeGreaterThan(10);
    for (const object of o) {
      expect(object.metadata.labels?.['switchyard.dev/team']).toBe('team-x');
      expect(object.metadata.labels?.['switchyard.dev/product']).toBe('product-y');
      expect(object.metadata.labels?.['switchyard.dev/cost-center']).toBe('cc-z');
    }
  });

  it('image and version → the image of every track', () => {
    const texts = withService('image', 'registry.example.com/other/api2');
    texts['services/api.yaml'] = setIn(texts['services/api.yaml'] as string, 'version', '7.7.7');
    const o = objectsOf(texts);
    for (const track of ['internal', 'free', 'paid', 'production']) {
      expect(container(o, `api-${track}`)?.image).toBe('registry.example.com/other/api2:7.7.7');
      expect(deployment(o, `api-${track}`).metadata.labels?.['switchyard.dev/version']).toBe('7.7.7');
      expect(envVar(o, `api-${track}`, 'SWITCHYARD_VERSION')).toBe('7.7.7');
    }
  });

  it('tracks.<track>.version → that track only', () => {
    const o = objectsOf(
      withService('tracks', { internal: { version: '1.1.0-rc1' }, free: {}, paid: {}, production: {} }),
    );
    expect(container(o, 'api-internal')?.image).toBe('registry.example.com/video/api:1.1.0-rc1');
    expect(container(o, 'api-production')?.image).toBe('registry.example.com/video/api:1.0.0');
  });

  it('tracks.<track>.replicas → that Deployment only', () => {
    const o = objectsOf(
      withService('tracks', {
        internal: { replicas: 3 },
        free: { replicas: 5 },
        paid: {},
        production: { replicas: 11 },
      }),
    );
    expect(deployment(o, 'api-internal').spec.replicas).toBe(3);
    expect(deployment(o, 'api-free').spec.replicas).toBe(5);
    expect(deployment(o, 'api-paid').spec.replicas).toBe(2);
    expect(deployment(o, 'api-production').spec.replicas).toBe(11);
  });

  it('tracks → one Deployment, Service and PDB per declared track, in any list', () => {
    const texts = withService('tracks', { canary1: { replicas: 2 }, main: { replicas: 2 } });
    texts['services/api.yaml'] = setIn(texts['services/api.yaml'] as string, 'traffic', {
      groups: { beta: { canaryTrack: 'canary1' } },
    });
    const o = objectsOf(texts).filter((x) => x.metadata.labels?.['switchyard.dev/service'] === 'api');
    const names = o
      .filter((x) => x.kind === 'Deployment')
      .map((x) => x.metadata.name)
      .sort();
    expect(names).toEqual(['api-canary1', 'api-main', 'api-router']);
    expect(
      o
        .filter((x) => x.kind === 'PodDisruptionBudget')
        .map((x) => x.metadata.name)
        .sort(),
    ).toEqual(['api-canary1', 'api-main', 'api-router']);
  });

  it('traffic.groupHeader → the header the router reads', () => {
    const o = objectsOf(withService('traffic', { groupHeader: 'X-Customer-Tier' }));
    expect(haproxy(o)['haproxy.cfg']).toContain('req.hdr(X-Customer-Tier),lower');
    expect(haproxy(o)['haproxy.cfg']).not.toContain('X-Traffic-Group');
  });

  it('traffic.defaultGroup → the group of requests without one', () => {
    const o = objectsOf(withService('traffic', { defaultGroup: 'paid' }));
    expect(haproxy(o)['haproxy.cfg']).toContain('set-var(txn.group) str(paid)\n');
    expect(haproxy(o)['haproxy.cfg']).toMatch(
      /set-var\(txn\.group\) req\.hdr\(X-Traffic-Group\),lower,map_str\(\S+groups\.map,paid\)/,
    );
  });

  it('traffic.stableTrack → the default backend', () => {
    const o = objectsOf(
      withService('traffic', {
        stableTrack: 'paid',
        groups: { free: { canaryTrack: 'free' }, internal: { track: 'internal' }, ent: { canaryTrack: 'production' } },
      }),
    );
    const cfg = haproxy(o)['haproxy.cfg'] as string;
    expect(cfg).toContain('default_backend track_paid');
    expect(cfg).toContain('set-var(txn.track) str(paid)');
  });

  it('traffic.stableTrack → where a track with no usable server sends its groups', () => {
    const o = objectsOf(
      withService('traffic', {
        stableTrack: 'paid',
        groups: { free: { canaryTrack: 'free' }, internal: { track: 'internal' }, ent: { canaryTrack: 'production' } },
      }),
    );
    const cfg = haproxy(o)['haproxy.cfg'] as string;
    for (const track of ['internal', 'free', 'production']) {
      expect(cfg).toContain(
        `set-var(txn.fallback) str(${track}) if { var(txn.track) -m str ${track} } { nbsrv(track_${track}) eq 0 }`,
      );
    }
    expect(cfg).not.toContain('nbsrv(track_paid)');
    expect(cfg).toContain('http-request set-var(txn.track) str(paid) if { var(txn.fallback) -m found }');
  });

  it('traffic.userKey.header → the bucket hash input', () => {
    const o = objectsOf(withService('traffic', { userKey: { header: 'X-Account' } }));
    expect(haproxy(o)['haproxy.cfg']).toContain('req.hdr(X-Account),xxh32(1)');
  });

  it('traffic.userKey.cookie → the bucket hash input', () => {
    const o = objectsOf(withService('traffic', { userKey: { cookie: 'sid' } }));
    expect(haproxy(o)['haproxy.cfg']).toContain('req.cook(sid),xxh32(1)');
  });

  it('traffic.groups → pinned, canary and share maps', () => {
    const o = objectsOf(
      withService('traffic', {
        groups: {
          staff: { track: 'internal' },
          trial: { canaryTrack: 'free', share: 12.5 },
          gold: { canaryTrack: 'paid', share: 0.25 },
          vip: { canary: false },
          other: { canaryTrack: 'internal' },
        },
      }),
    );
    const maps = haproxy(o);
    expect(maps['pinned.map']).toBe('staff internal\n');
    expect(maps['canary.map']).toBe('gold paid\nother internal\ntrial free\n');
    expect(maps['shares.map']).toBe('gold 25\nother 500\ntrial 1250\n');
    expect(maps['groups.map']).toBe('gold gold\nother other\nstaff staff\ntrial trial\nvip vip\n');
  });

  it('legacy.address, share and tls → the legacy backend', () => {
    const o = objectsOf(withService('legacy', { address: 'old.example.internal:8443', share: 37.5, tls: true }));
    const maps = haproxy(o);
    expect(maps['legacy.map']).toBe('share 3750\n');
    expect(maps['haproxy.cfg']).toMatch(/server legacy old\.example\.internal:8443 .* ssl verify required/);
  });

  it("autoscaling.cpu → the stable track's HPA, which then owns its replicas", () => {
    const o = objectsOf(withService('autoscaling', { cpu: { targetUtilization: 61, min: 3, max: 17 } }));
    const hpa = find(o, 'HorizontalPodAutoscaler', 'api-production');
    expect(get(hpa, 'spec.minReplicas')).toBe(3);
    expect(get(hpa, 'spec.maxReplicas')).toBe(17);
    expect(get(hpa, 'spec.metrics.0.resource.target.averageUtilization')).toBe(61);
    expect(get(hpa, 'spec.scaleTargetRef.name')).toBe('api-production');
    expect(deployment(o, 'api-production').spec.replicas).toBeUndefined();
    expect(deployment(o, 'api-free').spec.replicas).toBe(2);
  });

  it("autoscaling.schedule → the HPA's schedule annotation", () => {
    const o = objectsOf(
      withService('autoscaling', {
        cpu: { max: 40 },
        schedule: [{ name: 'match', cron: '45 20 * * 6', duration: '3h', minReplicas: 25, timezone: 'Europe/Paris' }],
      }),
    );
    const schedule = JSON.parse(
      find(o, 'HorizontalPodAutoscaler', 'api-production').metadata.annotations?.['switchyard.dev/schedule'] as string,
    ) as unknown;
    expect(schedule).toEqual([
      { name: 'match', cron: '45 20 * * 6', durationMs: 10_800_000, minReplicas: 25, timezone: 'Europe/Paris' },
    ]);
  });

  it('router.replicas, image and resources → the router Deployment', () => {
    const o = objectsOf(
      withService('router', {
        replicas: 6,
        image: 'docker.io/library/haproxy:2.9.1',
        resources: { cpu: '300m', memory: '64Mi' },
      }),
    );
    const router = deployment(o, 'api-router');
    expect(router.spec.replicas).toBe(6);
    expect(container(o, 'api-router')?.image).toBe('docker.io/library/haproxy:2.9.1');
    expect(get(container(o, 'api-router'), 'resources.requests')).toEqual({ cpu: '300m', memory: '64Mi' });
  });

  it("router.nodePool → the router placement, not the tracks'", () => {
    const o = objectsOf(withService('router', { nodePool: { class: '1:8' } }));
    expect(JSON.stringify(deployment(o, 'api-router').spec.template.spec.affinity)).toContain('1-8');
    expect(JSON.stringify(deployment(o, 'api-free').spec.template.spec.affinity)).toContain('1-4');
  });

  it('hosts → Ingress rules to the router Service', () => {
    const o = objectsOf(withService('hosts', ['b.example.com', 'a.example.com']));
    const ingress = find(o, 'Ingress', 'api');
    expect((get(ingress, 'spec.rules') as { host: string }[]).map((r) => r.host)).toEqual([
      'a.example.com',
      'b.example.com',
    ]);
    expect(get(ingress, 'spec.rules.0.http.paths.0.backend.service.name')).toBe('api');
  });

  it('nodePool.class and capacity → affinity and the spot toleration', () => {
    const o = objectsOf(withService('nodePool', { class: '1:2', capacity: 'spot' }));
    const pod = deployment(o, 'api-free').spec.template.spec;
    expect(
      pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]
        ?.matchExpressions,
    ).toEqual([{ key: 'switchyard.dev/node-class', operator: 'In', values: ['1-2'] }]);
    expect(pod.tolerations).toEqual([
      { key: 'switchyard.dev/capacity-type', operator: 'Equal', value: 'spot', effect: 'NoSchedule' },
    ]);
    expect(deployment(o, 'api-router').spec.template.spec.tolerations).toBeUndefined();
  });

  it("nodePool.name → only the dedicated pool's nodes, tolerating its taint", () => {
    const o = objectsOf(withService('nodePool', { class: '1:4', name: 'real', capacity: 'on-demand' }));
    const pod = deployment(o, 'api-free').spec.template.spec;
    expect(
      pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]
        ?.matchExpressions,
    ).toEqual([
      { key: 'switchyard.dev/node-pool', operator: 'In', values: ['real'] },
      { key: 'switchyard.dev/node-class', operator: 'In', values: ['1-4'] },
      { key: 'switchyard.dev/capacity-type', operator: 'NotIn', values: ['spot'] },
    ]);
    expect(pod.tolerations).toEqual([
      { key: 'switchyard.dev/node-pool', operator: 'Equal', value: 'real', effect: 'NoSchedule' },
    ]);
    expect(deployment(o, 'api-router').spec.template.spec.tolerations).toBeUndefined();
    const named = objectsOf(withService('nodePool', { name: 'media' }));
    expect(
      deployment(named, 'api-free').spec.template.spec.affinity?.nodeAffinity
        ?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]?.matchExpressions,
    ).toEqual([
      { key: 'switchyard.dev/node-pool', operator: 'In', values: ['media'] },
      { key: 'switchyard.dev/capacity-type', operator: 'NotIn', values: ['spot'] },
    ]);
  });

  it('terminationGraceSeconds → a drain pause before the stop, leaving a second for the drain', () => {
    expect(container(objectsOf(withService('terminationGraceSeconds', 30)), 'api-paid')?.lifecycle).toEqual({
      preStop: { sleep: { seconds: 5 } },
    });
    expect(container(objectsOf(withService('terminationGraceSeconds', 3)), 'api-paid')?.lifecycle).toEqual({
      preStop: { sleep: { seconds: 2 } },
    });
    expect(container(objectsOf(withService('terminationGraceSeconds', 1)), 'api-paid')?.lifecycle).toBeUndefined();
  });

  it('env → container environment', () => {
    const o = objectsOf(withService('env', { CDN_BASE: 'https://cdn.example.com', A_FLAG: 'on' }));
    expect(envVar(o, 'api-paid', 'CDN_BASE')).toBe('https://cdn.example.com');
    expect(
      container(o, 'api-paid')
        ?.env?.map((e) => e.name)
        .slice(0, 2),
    ).toEqual(['A_FLAG', 'CDN_BASE']);
  });

  it('labels → extra labels on every object', () => {
    const o = objectsOf(withService('labels', { tier: 'edge' }));
    expect(deployment(o, 'api-paid').metadata.labels?.tier).toBe('edge');
    expect(find(o, 'ConfigMap', 'api-router').metadata.labels?.tier).toBe('edge');
  });

  it('policy.exempt → an exemption annotation with its reason', () => {
    const o = objectsOf(withService('policy', { exempt: { 'probes-differ': 'the sidecar needs the same endpoint' } }));
    expect(deployment(o, 'api-paid').metadata.annotations?.['policy.switchyard.dev/probes-differ']).toBe(
      'the sidecar needs the same endpoint',
    );
  });

  it("terminationGraceSeconds → the pods' grace period", () => {
    const o = objectsOf(withService('terminationGraceSeconds', 45));
    expect(deployment(o, 'api-paid').spec.template.spec.terminationGracePeriodSeconds).toBe(45);
  });

  it('no runAs → every app container runs as 10001:10001, non-root, by number', () => {
    const o = objectsOf(baseTexts());
    for (const name of ['api-free', 'api-production', 'encoder', 'encoder-fallback'])
      expect(container(o, name)?.securityContext, name).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 10001,
        runAsGroup: 10001,
      });
  });

  it("runAs.user and group → the tracks' containers, not the router's", () => {
    const o = objectsOf(withService('runAs', { user: 1234, group: 5678 }));
    expect(container(o, 'api-paid')?.securityContext).toMatchObject({ runAsUser: 1234, runAsGroup: 5678 });
    expect(container(o, 'api-router')?.securityContext?.['runAsUser']).not.toBe(1234);
    expect(container(o, 'encoder')?.securityContext).toMatchObject({ runAsUser: 10001 });
  });

  it('runAs.user alone → the group is the user', () => {
    const o = objectsOf(withService('runAs', { user: 4321 }));
    expect(container(o, 'api-free')?.securityContext).toMatchObject({ runAsUser: 4321, runAsGroup: 4321 });
  });
});

describe('environment options', () => {
  it('cluster.namespace → the namespace of every object', () => {
    const o = objectsOf(withEnv('cluster.namespace', 'media-prod'));
    expect(new Set(o.map((x) => x.metadata.namespace))).toEqual(new Set(['media-prod']));
  });

  it('registry → prefix of images given without one', () => {
    const texts = withEnv('registry', 'registry.internal:5000');
    texts['services/api.yaml'] = setIn(texts['services/api.yaml'] as string, 'image', 'api');
    expect(container(objectsOf(texts), 'api-free')?.image).toBe('registry.internal:5000/api:1.0.0');
  });

  it('ingressClass → the Ingress class', () => {
    const texts = withEnv('ingressClass', 'nginx-public');
    texts['services/api.yaml'] = setIn(texts['services/api.yaml'] as string, 'hosts', ['api.example.com']);
    expect(get(find(objectsOf(texts), 'Ingress', 'api'), 'spec.ingressClassName')).toBe('nginx-public');
  });

  it('services.<name> overlays change one track and keep the others', () => {
    const o = objectsOf(withEnv('services', { api: { tracks: { production: { replicas: 9 } } } }));
    expect(deployment(o, 'api-production').spec.replicas).toBe(9);
    expect(deployment(o, 'api-internal').spec.replicas).toBe(2);
  });

  it('serviceDefaults → every service, and a per-service overlay wins over it', () => {
    const texts = withEnv('serviceDefaults', { router: { replicas: 3 } });
    expect(deployment(objectsOf(texts), 'api-router').spec.replicas).toBe(3);
    texts['environments/production.yaml'] = setIn(texts['environments/production.yaml'] as string, 'services', {
      api: { router: { replicas: 5 } },
    });
    expect(deployment(objectsOf(texts), 'api-router').spec.replicas).toBe(5);
  });

  it('workerDefaults → every worker', () => {
    const o = objectsOf(withEnv('workerDefaults', { normal: { replicas: { min: 3, max: 9 } } }));
    expect(deployment(o, 'encoder').spec.replicas).toBe(3);
  });
});

describe('worker options', () => {
  it('queue.name → the queues the SDK consumes and publishes to', () => {
    const o = objectsOf(withWorker('queue.name', 'transcode.v2'));
    expect(envVar(o, 'encoder', 'SWITCHYARD_QUEUE')).toBe('transcode.v2');
    expect(envVar(o, 'encoder', 'SWITCHYARD_FALLBACK_QUEUE')).toBe('transcode.v2.fallback');
    expect(envVar(o, 'encoder', 'SWITCHYARD_DEAD_LETTER_QUEUE')).toBe('transcode.v2.dead');
    expect(deployment(o, 'encoder-fallback').metadata.annotations?.['switchyard.dev/queue']).toBe(
      'transcode.v2.fallback',
    );
  });

  it('queue.prefetch → SWITCHYARD_PREFETCH', () => {
    expect(envVar(objectsOf(withWorker('queue.prefetch', 4)), 'encoder', 'SWITCHYARD_PREFETCH')).toBe('4');
  });

  it('normal.cpu, memory and timeout → the normal Deployment only', () => {
    const o = objectsOf(withWorker('normal', { cpu: '750m', memory: '600Mi', timeout: '25s' }));
    expect(get(container(o, 'encoder'), 'resources.requests')).toEqual({ cpu: '750m', memory: '600Mi' });
    expect(envVar(o, 'encoder', 'SWITCHYARD_TASK_TIMEOUT')).toBe('25s');
    expect(envVar(o, 'encoder', 'SWITCHYARD_TASK_MEMORY_BYTES')).toBe(String(600 * 2 ** 20));
    expect(get(container(o, 'encoder-fallback'), 'resources.requests')).toEqual({ cpu: '2', memory: '2Gi' });
  });

  it('fallback.cpu, memory and timeout → the fallback Deployment only', () => {
    const o = objectsOf(withWorker('fallback', { cpu: '3', memory: '3Gi', timeout: '10m' }));
    expect(get(container(o, 'encoder-fallback'), 'resources.requests')).toEqual({ cpu: '3', memory: '3Gi' });
    expect(envVar(o, 'encoder-fallback', 'SWITCHYARD_TASK_TIMEOUT')).toBe('10m');
    expect(envVar(o, 'encoder-fallback', 'SWITCHYARD_WORKER_CLASS')).toBe('fallback');
    expect(deployment(o, 'encoder-fallback').spec.template.spec.terminationGracePeriodSeconds).toBe(610);
  });

  it('normal.replicas and fallback.replicas → replicas and scale bounds', () => {
    const texts = withWorker('normal.replicas', { min: 3, max: 12 });
    texts['services/encoder.yaml'] = setIn(texts['services/encoder.yaml'] as string, 'fallback.replicas', {
      min: 0,
      max: 5,
    });
    const o = objectsOf(texts);
    expect(deployment(o, 'encoder').spec.replicas).toBe(3);
    expect(deployment(o, 'encoder').metadata.annotations?.['switchyard.dev/scale-max']).toBe('12');
    expect(deployment(o, 'encoder-fallback').spec.replicas).toBe(0);
    expect(deployment(o, 'encoder-fallback').metadata.annotations?.['switchyard.dev/scale-max']).toBe('5');
  });

  it("retry → the SDK's retry settings", () => {
    const o = objectsOf(withWorker('retry', { attempts: 7, initialDelay: '3s', maxDelay: '90s' }));
    expect(envVar(o, 'encoder', 'SWITCHYARD_RETRY_ATTEMPTS')).toBe('7');
    expect(envVar(o, 'encoder', 'SWITCHYARD_RETRY_INITIAL_DELAY')).toBe('3s');
    expect(envVar(o, 'encoder', 'SWITCHYARD_RETRY_MAX_DELAY')).toBe('90s');
  });

  it('scaling with keda → ScaledObjects counting unacknowledged messages', () => {
    const o = objectsOf(withWorker('scaling', { tasksPerReplica: 15, cooldown: '3m', keda: true }));
    const normal = find(o, 'ScaledObject', 'encoder');
    expect(get(normal, 'spec.triggers.0.metadata')).toEqual({
      protocol: 'amqp',
      queueName: 'encode',
      mode: 'QueueLength',
      value: '15',
      includeUnacked: 'true',
    });
    expect(get(normal, 'spec.cooldownPeriod')).toBe(180);
    expect(get(find(o, 'ScaledObject', 'encoder-fallback'), 'spec.minReplicaCount')).toBe(0);
  });

  it('scaling without keda → no ScaledObject', () => {
    expect(objectsOf(baseTexts()).some((x) => x.kind === 'ScaledObject')).toBe(false);
  });

  it('runAs → the worker containers', () => {
    const o = objectsOf(withWorker('runAs', { user: 2345, group: 3456 }));
    for (const name of ['encoder', 'encoder-fallback'])
      expect(container(o, name)?.securityContext, name).toMatchObject({ runAsUser: 2345, runAsGroup: 3456 });
  });

  it('storage.url → SWITCHYARD_STORAGE_URL', () => {
    expect(
      envVar(objectsOf(withWorker('storage', { url: 's3://bucket-x/in' })), 'encoder', 'SWITCHYARD_STORAGE_URL'),
    ).toBe('s3://bucket-x/in');
  });

  it('no fallback → no fallback Deployment and no fallback queue', () => {
    const texts = baseTexts();
    texts['services/encoder.yaml'] = (texts['services/encoder.yaml'] as string).replace(/^fallback:.*\n/m, '');
    const o = objectsOf(texts);
    expect(o.some((x) => x.metadata.name === 'encoder-fallback')).toBe(false);
    expect(envVar(o, 'encoder', 'SWITCHYARD_FALLBACK_QUEUE')).toBe('');
  });
});
