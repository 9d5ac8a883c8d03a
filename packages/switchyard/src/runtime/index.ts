export type {
  Runtime,
  RuntimeOptions,
  RuntimeEvent,
  Leftover,
  ServiceStatus,
  TrackStatus,
  TrackChange,
  WorkerClassStatus,
  WorkerSettings,
} from './port.js';
export { createRuntime } from './create.js';
export { describeEvent } from './describe.js';
export {
  LocalRuntime,
  LocalRouter,
  HaproxyProcess,
  findHaproxy,
  freePort,
  ensurePortFree,
  type LocalRuntimeOptions,
} from './local/index.js';
