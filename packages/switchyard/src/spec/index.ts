export { DEFAULTS } from './defaults.js';
export { readConfig, parseConfig, resolveFleet, resolveAll, loadFleet, SERVICES_DIR, ENVIRONMENTS_DIR, type ConfigFiles, type ParseOptions } from './config.js';
export { jsonSchemas } from './json-schema.js';
export { SourceFile } from './source.js';
export { CONFIG_LIMITS, type ConfigLimits } from './limits.js';
export { assignPorts, routerPorts, type RouterPorts } from './ports.js';
export { parseCron, type CronCheck, type CronSchedule } from './cron.js';
export { isTimezone } from './timezone.js';
export type * from './model.js';
