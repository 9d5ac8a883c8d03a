export { LocalRuntime, routerPorts, type RuntimeEvent, type ServiceStatus, type LocalRuntimeOptions } from './local/local-runtime.js';
export { Replica, freePort } from './local/replica.js';
export type { TrackStatus, TrackEvent } from './local/track-runner.js';
export { WorkerClassRunner, type WorkerClassStatus, type WorkerEvent } from './local/worker-runner.js';
