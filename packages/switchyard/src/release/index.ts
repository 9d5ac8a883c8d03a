export { createRelease, transition, allowedActions, type NewRelease } from './machine.js';
export { evaluate, delta, judgedTrack } from './gates.js';
export * from './types.js';
