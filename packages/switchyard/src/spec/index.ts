export { DEFAULTS } from './defaults.js';
export { readConfig, parseConfig, resolveFleet, resolveAll, loadFleet, SERVICES_DIR, ENVIRONMENTS_DIR, type ConfigFiles } from './config.js';
export { jsonSchemas } from './json-schema.js';
export { parseCpu, parseMemory, parseDuration, formatCpu, formatMemory, formatDuration } from './quantity.js';
export { SourceFile } from './source.js';
export type * from './model.js';
