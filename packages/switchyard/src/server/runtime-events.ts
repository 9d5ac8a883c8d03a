import { describeEvent, type RuntimeEvent } from '../runtime/index.js';
import { recordRuntimeEvent, type SqlClient } from '../store/index.js';

/**
 * The runtime events an incident's timeline needs, and whom each is about: scaling (a worker's
 * autoscaler, a schedule's floor) and failures (a replica or router exiting, a probe failing,
 * the router's checks taking a replica out and putting it back). Replicas becoming ready and
 * progress lines are left out: they are the normal course of things.
 */
export function incidentService(e: RuntimeEvent): string | undefined {
  switch (e.type) {
    case 'worker-scaled':
    case 'worker-exited':
    case 'worker-start-failed':
      return e.worker;
    case 'schedule-floor':
    case 'replica-crashed':
    case 'replica-restart-failed':
    case 'replica-unhealthy':
    case 'haproxy-exited':
    case 'haproxy-restarted':
    case 'server-checks':
      return e.service;
    default:
      return undefined;
  }
}

/** Keeps an environment's incident events in the store; a failure to write is said, never thrown at the runtime. */
export function runtimeEventRecorder(
  db: SqlClient,
  environment: string,
  onLine?: (line: string) => void,
): (e: RuntimeEvent) => void {
  return (e) => {
    const service = incidentService(e);
    if (service === undefined) return;
    recordRuntimeEvent(db, { environment, type: e.type, service, text: describeEvent(e), payload: e }).catch(
      (err: unknown) => onLine?.(`⚠ ${environment}: runtime event ${e.type} not recorded: ${(err as Error).message}`),
    );
  };
}
