import { createHash } from 'node:crypto';
import { renderHaproxyConfig, renderMaps, type RoutingState } from '../router/index.js';
import type { Service } from '../spec/index.js';
import { ANNOTATION, LABEL, unitLabels } from './labels.js';
import type { Deployment, KubeObject } from './objects.js';
import { CONTAINER_SECURITY, drainPause, placement, POD_SECURITY, resourceBlock, spread } from './pod.js';
import { disruptionBudget, serviceMeta, trackObjectName } from './service.js';

export const ROUTER_PORT = 8080;
export const ROUTER_STATS_PORT = 8404;
/** The official image's configuration directory; the ConfigMap (haproxy.cfg and the map files) is mounted there. */
export const ROUTER_CONFIG_DIR = '/usr/local/etc/haproxy';
/**
 * The Runtime API's port in a router pod. It listens on the pod's loopback only, so nothing on
 * the pod network reaches it; Switchyard does through the API server's port-forward (which
 * connects inside the pod's network namespace), and any HAProxy image works, no client inside.
 */
export const ROUTER_RUNTIME_API_PORT = 8405;
/** Time for a router to finish what is in flight when it stops (HAProxy's soft stop). */
const ROUTER_GRACE_SECONDS = 35;
/** The haproxy user of the official image. */
const HAPROXY_UID = 99;

export function routerName(service: string): string {
  return `${service}-router`;
}

function routerSelector(service: Service): Record<string, string> {
  return { [LABEL.service]: service.name, [LABEL.component]: 'router' };
}

/** haproxy.cfg and the map files, as they sit in the router's ConfigMap. */
export function routerConfigData(service: Service, routing: RoutingState): Record<string, string> {
  const config = renderHaproxyConfig({
    service,
    routing,
    servers: Object.fromEntries(
      service.tracks.map((t) => [
        t.name,
        [
          {
            name: t.name,
            host: `${trackObjectName(service.name, t.name)}.${service.namespace}.svc.cluster.local`,
            port: service.port,
          },
        ],
      ]),
    ),
    bind: `:${ROUTER_PORT}`,
    statsBind: `:${ROUTER_STATS_PORT}`,
    statsSocket: `ipv4@127.0.0.1:${ROUTER_RUNTIME_API_PORT}`,
    mapsDir: ROUTER_CONFIG_DIR,
    dns: true,
    log: 'stdout',
  });
  return { 'haproxy.cfg': config, ...renderMaps(service, routing) };
}

export function routerObjects(service: Service, routing: RoutingState): KubeObject[] {
  const name = routerName(service.name);
  const selector = routerSelector(service);
  const extra = { [LABEL.component]: 'router' };
  const data = routerConfigData(service, routing);
  // Only the structure rolls the routers; shares change live and through the map files.
  const configHash = createHash('sha256')
    .update(data['haproxy.cfg'] as string)
    .digest('hex')
    .slice(0, 16);
  const configMap: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: serviceMeta(service, name, extra),
    data,
  };
  const deployment: Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: serviceMeta(service, name, extra),
    spec: {
      replicas: service.router.replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selector },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: {
          labels: { ...unitLabels(service), ...selector },
          annotations: {
            [ANNOTATION.configHash]: configHash,
            // The usual scrape annotations, for HAProxy's exporter on the stats port.
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(ROUTER_STATS_PORT),
            'prometheus.io/path': '/metrics',
          },
        },
        spec: {
          containers: [
            {
              name: 'haproxy',
              image: service.router.image,
              imagePullPolicy: 'IfNotPresent',
              args: ['haproxy', '-W', '-db', '-f', `${ROUTER_CONFIG_DIR}/haproxy.cfg`],
              ports: [
                { name: 'http', containerPort: ROUTER_PORT, protocol: 'TCP' },
                { name: 'stats', containerPort: ROUTER_STATS_PORT, protocol: 'TCP' },
              ],
              resources: resourceBlock(service.router.resources),
              readinessProbe: {
                httpGet: { path: '/healthz', port: ROUTER_STATS_PORT },
                periodSeconds: 2,
                timeoutSeconds: 1,
                failureThreshold: 2,
                initialDelaySeconds: 0,
              },
              livenessProbe: {
                tcpSocket: { port: ROUTER_PORT },
                periodSeconds: 10,
                timeoutSeconds: 2,
                failureThreshold: 3,
                initialDelaySeconds: 5,
              },
              securityContext: { ...CONTAINER_SECURITY, runAsUser: HAPROXY_UID },
              volumeMounts: [{ name: 'config', mountPath: ROUTER_CONFIG_DIR, readOnly: true }],
              ...drainPause(ROUTER_GRACE_SECONDS),
            },
          ],
          ...placement(service.router.nodePool),
          topologySpreadConstraints: spread(selector),
          terminationGracePeriodSeconds: ROUTER_GRACE_SECONDS,
          securityContext: { ...POD_SECURITY },
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          volumes: [{ name: 'config', configMap: { name } }],
        },
      },
    },
  };
  const front: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: serviceMeta(service, service.name, extra),
    spec: {
      type: 'ClusterIP',
      selector,
      ports: [
        { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
        { name: 'stats', port: ROUTER_STATS_PORT, targetPort: 'stats', protocol: 'TCP' },
      ],
    },
  };
  return [configMap, deployment, front, disruptionBudget(service, name, selector, extra)];
}
