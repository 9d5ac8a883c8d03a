import { parseDocument } from 'yaml';
import { renderFleet, type KubeObject } from '../../src/render/index.js';
import { parseConfig, resolveFleet, type Fleet, type Service, type Worker } from '../../src/spec/index.js';

/** Small, valid configuration files that tests change one field at a time. */
export const SERVICE = `apiVersion: switchyard.dev/v1
kind: Service
name: api
team: web
product: vod
costCenter: cc-1
image: registry.example.com/video/api
command: [node, app.mjs]
version: 1.0.0
resources:
  cpu: 100m
  memory: 128Mi
probes:
  readiness: { path: /ready }
  liveness: { path: /healthz }
nodePool: { class: "1:4" }
`;

export const WORKER = `apiVersion: switchyard.dev/v1
kind: Worker
name: encoder
team: media
product: vod
costCenter: cc-2
image: registry.example.com/video/encoder
command: [node, worker.mjs]
version: 2.0.0
queue: { name: encode }
normal: { cpu: 500m, memory: 500Mi, timeout: 20s }
fallback: { cpu: "2", memory: 2Gi, timeout: 300s }
nodePool: { class: "1:2" }
`;

export const PRODUCTION = `apiVersion: switchyard.dev/v1
kind: Environment
name: production
runtime: kubernetes
cluster: { context: prod, namespace: video }
`;

export const SANDBOX = `apiVersion: switchyard.dev/v1
kind: Environment
name: sandbox
runtime: local
`;

export type Texts = Record<string, string>;

export function baseTexts(): Texts {
  return {
    'services/api.yaml': SERVICE,
    'services/encoder.yaml': WORKER,
    'environments/production.yaml': PRODUCTION,
    'environments/sandbox.yaml': SANDBOX,
  };
}

/** Sets `path` (dotted, numbers index lists) to `value` in a YAML text, keeping the rest. */
export function setIn(text: string, path: string, value: unknown): string {
  const doc = parseDocument(text);
  doc.setIn(splitPath(path), value);
  return doc.toString();
}

export function deleteIn(text: string, path: string): string {
  const doc = parseDocument(text);
  doc.deleteIn(splitPath(path));
  return doc.toString();
}

function splitPath(path: string): (string | number)[] {
  return path.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

export function fleetOf(texts: Texts, env = 'production'): Fleet {
  return resolveFleet(parseConfig('config', texts), env);
}

export function serviceOf(texts: Texts, env = 'production', name = 'api'): Service {
  const unit = fleetOf(texts, env).units.find((u) => u.name === name);
  if (unit?.kind !== 'Service') throw new Error(`no service ${name}`);
  return unit;
}

export function workerOf(texts: Texts, env = 'production', name = 'encoder'): Worker {
  const unit = fleetOf(texts, env).units.find((u) => u.name === name);
  if (unit?.kind !== 'Worker') throw new Error(`no worker ${name}`);
  return unit;
}

export function objectsOf(texts: Texts, env = 'production'): KubeObject[] {
  return renderFleet(fleetOf(texts, env)).flatMap((u) => u.objects);
}

export function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name} among ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
}

/** Reads a dotted path out of any value (for assertions on rendered objects). */
export function get(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const part of splitPath(path)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[part];
  }
  return current;
}
