export {
  CHECKS,
  DEFAULT_ALERTS,
  DEFAULT_RULES,
  RECEIVER_TYPES,
  SEVERITIES,
  type AlertRule,
  type AlertsConfig,
  type CheckId,
  type Receiver,
  type Severity,
} from './alerting.js';
export { DEFAULTS } from './defaults.js';
export {
  parseConfig,
  resolveFleet,
  resolveAll,
  locateFields,
  SERVICES_DIR,
  ENVIRONMENTS_DIR,
  YAML_FILE,
  type ConfigFiles,
  type ParseOptions,
  type ConfigField,
  type LocateField,
} from './config.js';
export type { Place } from './issues.js';
export type { DocPath } from './source.js';
export { jsonSchemas } from './json-schema.js';
export { SourceFile } from './source.js';
export { CONFIG_LIMITS, checkSizes, type ConfigLimits } from './limits.js';
export { decodeUtf8 } from './text.js';
export { assignPorts, routerPorts, type RouterPorts } from './ports.js';
export { parseCron, type CronCheck, type CronSchedule } from './cron.js';
export { isTimezone } from './timezone.js';
export { diffFleets, isEmptyDiff, sameUnit, sameEnvironment, type FleetDiff } from './fleet-diff.js';
export type * from './model.js';
export { LATENCY_PERCENTILES } from './model.js';
/** Field schemas other inputs (the API) check names and versions with, so they agree with the files. */
export { version as versionTag, resourceName, groupName, trackName } from './schema.js';
export { floorAt, occurrences, type Floor, type WindowOccurrence } from './schedule-windows.js';
export { RUNBOOK_NAME, RUNBOOKS_DIR, runbookAlerts, runbookIssues } from './runbooks.js';
