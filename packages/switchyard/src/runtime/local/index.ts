export { LocalRuntime, createRuntime, type LocalRuntimeOptions } from './local-runtime.js';
export { LocalRouter, type Slot } from './local-router.js';
export { findHaproxy, HaproxyProcess, type HaproxyBinary } from './haproxy-process.js';
export { freePort, ensurePortFree } from './net.js';
