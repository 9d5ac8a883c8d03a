import type { RuntimeEvent } from './port.js';

/** What the process itself last said went wrong. */
const said = (lines: readonly string[]) => (lines.length > 0 ? `: ${lines.map((l) => l.trim()).join(' | ')}` : '');
const seconds = (ms: number) => (ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`);

/** A runtime event in one line, as a person reads it (the foreground's lines, the incident timeline). */
export function describeEvent(e: RuntimeEvent): string {
  switch (e.type) {
    case 'replica-ready':
      return `${e.replica} ready (${e.version}) on port ${e.port}`;
    case 'replica-crashed':
      return `${e.replica} exited (${e.signal ?? `code ${String(e.code)}`}); restarting in ${e.restartInMs} ms`;
    case 'replica-restart-failed':
      return `${e.replica} could not restart: ${e.error}`;
    case 'replica-unhealthy':
      return `${e.replica} failed its liveness probe ${e.failures} times; replacing it`;
    case 'haproxy-exited':
      return `router of ${e.service} exited (${e.signal ?? `code ${String(e.code)}`}); restarting it`;
    case 'haproxy-restarted':
      return `router of ${e.service} restarted; routing restored`;
    case 'worker-ready':
      return `${e.replica} ready`;
    case 'worker-exited':
      return `${e.replica} exited (${e.signal ?? `code ${String(e.code)}`})${said(e.lastLines)}; restarting in ${seconds(e.restartInMs)} (log ${e.log})`;
    case 'worker-start-failed':
      return `${e.replica} ${e.error}${said(e.lastLines)}; restarting in ${seconds(e.restartInMs)} (log ${e.log})`;
    case 'worker-scaled':
      return `${e.worker} ${e.workerClass}: ${e.from} → ${e.to} replicas (queue depth)`;
    case 'recovered':
      return `a previous run left processes: adopted ${e.adopted} processes that kept serving${e.stopped ? `, stopped ${e.stopped} that could not be kept` : ''}`;
    case 'server-checks':
      return e.up
        ? `${e.service}/${e.track}: the replica on port ${e.port} passes its readiness checks again; back in the router`
        : `${e.service}/${e.track}: the replica on port ${e.port} fails its readiness checks; out of the router`;
    case 'progress':
      return e.line;
    case 'schedule-floor':
      return e.floor === null
        ? `${e.service}: schedule windows closed; the stable track is back to its own replica count`
        : `${e.service}: schedule window ${e.windows.join(', ')} open; the stable track holds at least ${e.floor} replicas`;
  }
}
