import { encodeWorkerEnv, WORKER_METRICS_PORT } from '@switchyard/worker/contract';
import type { Worker, WorkerClass } from '../spec/index.js';
import { ANNOTATION, LABEL, unitAnnotations, unitLabels } from './labels.js';
import type { Deployment, KubeObject } from './objects.js';
import { appSecurity, envList, placement, POD_SECURITY, resourceBlock, spread } from './pod.js';

export function workerObjectName(worker: Worker, workerClass: WorkerClass['name']): string {
  return workerClass === 'normal' ? worker.name : `${worker.name}-fallback`;
}

function selector(worker: Worker, workerClass: WorkerClass['name']): Record<string, string> {
  return { [LABEL.service]: worker.name, [LABEL.workerClass]: workerClass };
}

function meta(
  worker: Worker,
  name: string,
  workerClass: WorkerClass['name'],
  annotations: Record<string, string> = {},
) {
  return {
    name,
    namespace: worker.namespace,
    labels: { ...unitLabels(worker), [LABEL.workerClass]: workerClass, [LABEL.component]: 'worker' },
    annotations: { ...unitAnnotations(worker), ...annotations },
  };
}

/** The environment the SDK reads to know its class, its queues and its limits, written by the SDK's own encoder. */
export function workerEnv(worker: Worker, cls: WorkerClass): Record<string, string> {
  return {
    ...worker.envVars,
    ...encodeWorkerEnv({
      env: worker.env,
      service: worker.name,
      version: worker.version,
      workerClass: cls.name,
      queue: worker.queue.name,
      fallbackQueue: worker.fallback ? worker.queue.fallback : '',
      deadLetterQueue: worker.queue.deadLetter,
      prefetch: worker.queue.prefetch,
      timeoutMs: cls.timeoutMs,
      memoryBytes: cls.resources.memoryBytes,
      retryAttempts: worker.retry.attempts,
      retryInitialDelayMs: worker.retry.initialDelayMs,
      retryMaxDelayMs: worker.retry.maxDelayMs,
      metricsPort: WORKER_METRICS_PORT,
      ...(worker.storageUrl ? { storageUrl: worker.storageUrl } : {}),
    }),
  };
}

function classDeployment(worker: Worker, cls: WorkerClass, replicas: number): Deployment {
  const name = workerObjectName(worker, cls.name);
  const sel = selector(worker, cls.name);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(worker, name, cls.name, {
      [ANNOTATION.queue]: cls.queue,
      [ANNOTATION.scaleMin]: String(cls.minReplicas),
      [ANNOTATION.scaleMax]: String(cls.maxReplicas),
    }),
    spec: {
      replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: sel },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
      template: {
        metadata: {
          labels: { ...unitLabels(worker), ...sel, [LABEL.version]: worker.version, [LABEL.component]: 'worker' },
        },
        spec: {
          containers: [
            {
              name: 'worker',
              image: `${worker.image ?? worker.name}:${worker.version}`,
              imagePullPolicy: 'IfNotPresent',
              ports: [{ name: 'metrics', containerPort: WORKER_METRICS_PORT, protocol: 'TCP' }],
              env: envList(workerEnv(worker, cls)),
              resources: resourceBlock(cls.resources),
              readinessProbe: {
                httpGet: { path: '/ready', port: WORKER_METRICS_PORT },
                periodSeconds: 5,
                timeoutSeconds: 1,
                failureThreshold: 3,
                initialDelaySeconds: 0,
              },
              livenessProbe: {
                httpGet: { path: '/healthz', port: WORKER_METRICS_PORT },
                periodSeconds: 10,
                timeoutSeconds: 2,
                failureThreshold: 3,
                initialDelaySeconds: 5,
              },
              securityContext: appSecurity(worker.runAs),
            },
          ],
          ...placement(worker.nodePool),
          topologySpreadConstraints: spread(sel),
          // A task may finish after SIGTERM; the grace period covers the longest task of this class.
          terminationGracePeriodSeconds: Math.max(worker.terminationGraceSeconds, Math.ceil(cls.timeoutMs / 1000) + 10),
          securityContext: { ...POD_SECURITY },
          automountServiceAccountToken: false,
          enableServiceLinks: false,
        },
      },
    },
  };
}

function scaledObject(worker: Worker, cls: WorkerClass): KubeObject {
  const name = workerObjectName(worker, cls.name);
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: meta(worker, name, cls.name),
    spec: {
      scaleTargetRef: { name },
      minReplicaCount: cls.minReplicas,
      maxReplicaCount: cls.maxReplicas,
      cooldownPeriod: Math.round(worker.scaling.cooldownMs / 1000),
      pollingInterval: 5,
      triggers: [
        {
          type: 'rabbitmq',
          // Ready + unacknowledged: counting only ready messages scales busy workers away.
          metadata: {
            protocol: 'amqp',
            queueName: cls.queue,
            mode: 'QueueLength',
            value: String(worker.scaling.tasksPerReplica),
            includeUnacked: 'true',
          },
          authenticationRef: { name: `${worker.name}-rabbitmq` },
        },
      ],
    },
  };
}

export function workerObjects(worker: Worker): KubeObject[] {
  const out: KubeObject[] = [classDeployment(worker, worker.normal, worker.normal.minReplicas)];
  const normalSelector = selector(worker, 'normal');
  out.push({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(worker, worker.name, 'normal'),
    spec: { maxUnavailable: 1, selector: { matchLabels: normalSelector } },
  });
  if (worker.fallback) out.push(classDeployment(worker, worker.fallback, worker.fallback.minReplicas));
  if (worker.scaling.keda) {
    out.push(scaledObject(worker, worker.normal));
    if (worker.fallback) out.push(scaledObject(worker, worker.fallback));
  }
  return out;
}
