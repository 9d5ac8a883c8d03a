import { SwitchyardError } from '../../errors/index.js';
import type { KubeObject } from '../../render/index.js';
import { httpStatus, type KubeClient } from './client.js';
import { listAll } from './apply.js';
import { collectionPath, KINDS } from './kinds.js';

/**
 * Waiting for Deployments to roll out, as `kubectl rollout status` judges it, and telling
 * early why one cannot: pods nobody can schedule, images that cannot be pulled, containers
 * that crash, a progress deadline passed. Everything judged here is a pure function of the
 * objects the API server returns, so the same rules are unit-tested on plain data.
 */

export interface LiveDeployment extends KubeObject {
  metadata: KubeObject['metadata'] & { generation?: number; resourceVersion?: string };
  spec: { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

interface ContainerStatus {
  name: string;
  image?: string;
  restartCount?: number;
  state?: {
    waiting?: { reason?: string; message?: string };
    running?: unknown;
    terminated?: { exitCode?: number; reason?: string };
  };
  lastState?: { terminated?: { exitCode?: number; reason?: string } };
}

export interface LivePod extends KubeObject {
  metadata: KubeObject['metadata'] & {
    creationTimestamp?: string;
    deletionTimestamp?: string;
    ownerReferences?: { kind: string; name: string; controller?: boolean }[];
  };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

export interface DeploymentProgress {
  readonly name: string;
  readonly desired: number;
  readonly updated: number;
  readonly ready: number;
  readonly available: number;
  readonly done: boolean;
  /** Why it is not done yet, in words. */
  readonly waitingFor?: string;
  /** Set when it cannot complete (progress deadline passed, replica creation refused). */
  readonly failure?: string;
}

export function deploymentProgress(d: LiveDeployment): DeploymentProgress {
  const status = d.status ?? {};
  const desired = d.spec.replicas ?? 1;
  const base = {
    name: d.metadata.name,
    desired,
    updated: status.updatedReplicas ?? 0,
    ready: status.readyReplicas ?? 0,
    available: status.availableReplicas ?? 0,
  };
  const condition = (type: string) => status.conditions?.find((c) => c.type === type);
  const progressing = condition('Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return {
      ...base,
      done: false,
      failure: `${d.metadata.name} exceeded its progress deadline: ${progressing.message ?? ''}`.trim(),
    };
  }
  const replicaFailure = condition('ReplicaFailure');
  if (replicaFailure?.status === 'True') {
    return {
      ...base,
      done: false,
      failure: `${d.metadata.name} cannot create its pods: ${replicaFailure.message ?? replicaFailure.reason ?? ''}`,
    };
  }
  if ((d.metadata.generation ?? 0) > (status.observedGeneration ?? 0))
    return { ...base, done: false, waitingFor: 'the controller to see the new spec' };
  if (base.updated < desired)
    return { ...base, done: false, waitingFor: `${base.updated}/${desired} replicas updated` };
  if ((status.replicas ?? 0) > base.updated)
    return { ...base, done: false, waitingFor: `${(status.replicas ?? 0) - base.updated} old replicas to terminate` };
  if (base.available < base.updated)
    return { ...base, done: false, waitingFor: `${base.available}/${base.updated} updated replicas available` };
  return { ...base, done: true };
}

export function describeProgress(p: DeploymentProgress): string {
  return `${p.name}: ${p.updated}/${p.desired} updated, ${p.ready}/${p.desired} ready, ${p.available}/${p.desired} available`;
}

export interface PodProblem {
  readonly pod: string;
  /** Fatal problems end the wait at once; the others explain a timeout. */
  readonly fatal: boolean;
  readonly message: string;
}

export interface DiagnosisOptions {
  /** How long a pod may stay unschedulable before it is a failure (a cluster autoscaler may add a node). */
  readonly unschedulableAfterMs: number;
}

const IMAGE_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
const CONFIG_REASONS = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

export function podProblems(pod: LivePod, now: number, options: DiagnosisOptions): PodProblem[] {
  if (pod.metadata.deletionTimestamp) return [];
  const name = pod.metadata.name;
  const out: PodProblem[] = [];
  const conditions = pod.status?.conditions ?? [];
  const scheduled = conditions.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    const since = Date.parse(scheduled.lastTransitionTime ?? pod.metadata.creationTimestamp ?? '') || now;
    const fatal = now - since >= options.unschedulableAfterMs;
    out.push({
      pod: name,
      fatal,
      message: `pod ${name} cannot be scheduled: ${scheduled.message ?? 'no node fits it'}`,
    });
  }
  for (const c of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const waiting = c.state?.waiting;
    const reason = waiting?.reason ?? '';
    if (IMAGE_REASONS.has(reason)) {
      out.push({
        pod: name,
        fatal: true,
        message: `pod ${name}: image ${c.image ?? ''} of container ${c.name} cannot be pulled (${reason}${waiting?.message ? `: ${waiting.message}` : ''})`,
      });
    } else if (reason === 'CrashLoopBackOff') {
      const last = c.lastState?.terminated;
      out.push({
        pod: name,
        fatal: true,
        message: `pod ${name}: container ${c.name} keeps crashing (${c.restartCount ?? 0} restarts${last ? `, last exit code ${last.exitCode ?? '?'}${last.reason ? ` ${last.reason}` : ''}` : ''}); read its log with kubectl logs --previous`,
      });
    } else if (CONFIG_REASONS.has(reason)) {
      out.push({
        pod: name,
        fatal: true,
        message: `pod ${name}: container ${c.name} cannot start (${reason}${waiting?.message ? `: ${waiting.message}` : ''})`,
      });
    }
  }
  const ready = conditions.find((c) => c.type === 'Ready');
  if (out.length === 0 && pod.status?.phase === 'Running' && ready?.status === 'False') {
    out.push({
      pod: name,
      fatal: false,
      message: `pod ${name} runs but is not ready (its readiness probe fails${ready.message ? `: ${ready.message}` : ''})`,
    });
  }
  return out;
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** Problems of the pods of each Deployment not done yet. */
export function diagnose(
  deployments: readonly LiveDeployment[],
  pods: readonly LivePod[],
  now: number,
  options: DiagnosisOptions,
): Map<string, PodProblem[]> {
  const out = new Map<string, PodProblem[]>();
  for (const d of deployments) {
    const problems = pods
      .filter((p) => selects(d.spec.selector?.matchLabels, p.metadata.labels))
      .flatMap((p) => podProblems(p, now, options));
    if (problems.length > 0) out.set(d.metadata.name, problems);
  }
  return out;
}

export interface WaitOptions {
  /** The whole wait, default 5 minutes. */
  readonly timeoutMs?: number;
  /** Default 30 s. */
  readonly unschedulableAfterMs?: number;
  /** How often pods are examined while Deployments are not done (default 2 s). */
  readonly diagnoseEveryMs?: number;
  readonly onProgress?: (line: string) => void;
  /** The namespace's pods as a watch keeps them (undefined: not watched now, list them). */
  readonly pods?: () => readonly LivePod[] | undefined;
}

const DEPLOYMENTS = KINDS.find((k) => k.kind === 'Deployment') as (typeof KINDS)[number];

function summarise(
  name: string,
  progress: DeploymentProgress | undefined,
  problems: readonly PodProblem[] | undefined,
): string {
  const head = progress
    ? `${describeProgress(progress)}${progress.waitingFor ? ` (waiting for ${progress.waitingFor})` : ''}`
    : `${name}: not found`;
  const notes = [...new Set((problems ?? []).map((p) => p.message))].slice(0, 3);
  return notes.length > 0 ? `${head}; ${notes.join('; ')}` : head;
}

/**
 * Waits until every named Deployment has rolled out: list, then watch from that list's
 * resourceVersion. Meanwhile their pods are examined; a fatal problem ends the wait with
 * SWY_KUBE_ROLLOUT_FAILED, the deadline with SWY_KUBE_ROLLOUT_TIMEOUT.
 */
export async function waitForRollout(
  client: KubeClient,
  namespace: string,
  labelSelector: string,
  names: readonly string[],
  options: WaitOptions = {},
): Promise<void> {
  if (names.length === 0) return;
  const say = options.onProgress ?? (() => undefined);
  const timeoutMs = options.timeoutMs ?? 300_000;
  const diagnosis: DiagnosisOptions = { unschedulableAfterMs: options.unschedulableAfterMs ?? 30_000 };
  const wanted = new Set(names);
  const live = new Map<string, LiveDeployment>();
  const reported = new Map<string, string>();
  let problems = new Map<string, PodProblem[]>();
  const started = Date.now();
  const abort = new AbortController();
  const path = collectionPath(DEPLOYMENTS, namespace);

  let settle!: { resolve: () => void; reject: (err: unknown) => void };
  const finished = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  let over = false;
  const finish = (err?: unknown): void => {
    if (over) return;
    over = true;
    abort.abort();
    if (err) settle.reject(err);
    else settle.resolve();
  };

  // Judged per event, for the one Deployment that changed: thousands of them stay cheap.
  const done = new Set<string>();
  const detailed = wanted.size <= 100;
  const pending = (): string[] => [...wanted].filter((n) => live.has(n) && !done.has(n));
  const update = (name: string): void => {
    const d = live.get(name);
    if (!d) {
      done.delete(name);
      return;
    }
    const p = deploymentProgress(d);
    if (p.done) done.add(name);
    else done.delete(name);
    const line = p.done ? `✔ ${name} rolled out (${p.ready}/${p.desired} ready)` : describeProgress(p);
    if (detailed && reported.get(name) !== line) {
      reported.set(name, line);
      say(line);
    }
    if (p.failure)
      finish(
        new SwitchyardError('SWY_KUBE_ROLLOUT_FAILED', {
          message: p.failure,
          details: { namespace, deployment: name },
        }),
      );
  };
  const check = (): void => {
    if (done.size === wanted.size) finish();
  };

  const watchLoop = async (): Promise<void> => {
    let resourceVersion = '';
    let relist = true;
    while (!abort.signal.aborted) {
      if (relist) {
        const list = await client.request<{ items: LiveDeployment[]; metadata: { resourceVersion: string } }>(
          'GET',
          path,
          { query: { labelSelector } },
        );
        live.clear();
        done.clear();
        for (const d of list.items) if (wanted.has(d.metadata.name)) live.set(d.metadata.name, d);
        for (const name of wanted) update(name);
        resourceVersion = list.metadata.resourceVersion;
        relist = false;
        check();
        if (over) return;
      }
      try {
        await client.watch<LiveDeployment>(
          path,
          { labelSelector, resourceVersion, timeoutSeconds: 60 },
          (event) => {
            if (event.type === 'ERROR') {
              relist = true;
              return;
            }
            resourceVersion = event.object.metadata.resourceVersion ?? resourceVersion;
            if (event.type === 'BOOKMARK' || !wanted.has(event.object.metadata.name)) return;
            if (event.type === 'DELETED') live.delete(event.object.metadata.name);
            else live.set(event.object.metadata.name, event.object);
            update(event.object.metadata.name);
            check();
          },
          abort.signal,
        );
      } catch (err) {
        if (httpStatus(err) === 410) relist = true;
        else throw err;
      }
    }
  };

  const diagnoseLoop = async (): Promise<void> => {
    let every = options.diagnoseEveryMs ?? 2000;
    while (!abort.signal.aborted) {
      // Ends with the wait: a pending timer must not hold the process.
      await new Promise<void>((r) => {
        const timer = setTimeout(r, every);
        abort.signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            r();
          },
          { once: true },
        );
      });
      if (abort.signal.aborted) return;
      if (pending().length === 0) continue;
      const pods =
        options.pods?.() ??
        ((await listAll(
          client,
          collectionPath({ apiVersion: 'v1', plural: 'pods' }, namespace),
          labelSelector,
        )) as LivePod[]);
      const stuck = pending();
      // Thousands of pods are not listed every two seconds: the pause grows with the list.
      every = Math.max(options.diagnoseEveryMs ?? 2000, pods.length * 4);
      problems = diagnose(
        stuck.map((n) => live.get(n) as LiveDeployment),
        pods,
        Date.now(),
        diagnosis,
      );
      const fatal = [...problems.values()].flat().filter((p) => p.fatal);
      if (fatal.length > 0) {
        const messages = [...new Set(fatal.map((p) => p.message))];
        finish(
          new SwitchyardError('SWY_KUBE_ROLLOUT_FAILED', {
            message: `The rollout in namespace ${namespace} cannot complete: ${messages.slice(0, 5).join('; ')}${messages.length > 5 ? ` (and ${messages.length - 5} more)` : ''}`,
            details: { namespace, problems: fatal.map((p) => ({ pod: p.pod, message: p.message })) },
          }),
        );
      }
    }
  };

  const timer = setTimeout(() => {
    const waiting = [...wanted].filter((n) => !done.has(n));
    const lines = waiting
      .slice(0, 10)
      .map((n) =>
        summarise(n, live.has(n) ? deploymentProgress(live.get(n) as LiveDeployment) : undefined, problems.get(n)),
      );
    finish(
      new SwitchyardError('SWY_KUBE_ROLLOUT_TIMEOUT', {
        message: `${waiting.length} Deployment${waiting.length === 1 ? '' : 's'} in namespace ${namespace} did not roll out within ${Math.round(timeoutMs / 1000)} s: ${lines.join(' | ')}${waiting.length > 10 ? ` (and ${waiting.length - 10} more)` : ''}`,
        details: { namespace, waiting, elapsedMs: Date.now() - started },
      }),
    );
  }, timeoutMs);
  const summary = setInterval(() => {
    say(`… ${done.size}/${wanted.size} Deployments rolled out after ${Math.round((Date.now() - started) / 1000)} s`);
  }, 10_000);
  watchLoop().catch(finish);
  diagnoseLoop().catch(finish);
  try {
    await finished;
  } finally {
    clearTimeout(timer);
    clearInterval(summary);
  }
}
