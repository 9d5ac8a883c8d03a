export { runPolicy, worstSeverity, failsRun, exemption, findRule } from './run.js';
export { RULES } from './rules/index.js';
export { formatReports, FORMATS, type Format, type FormatOptions } from './formats.js';
export type { Finding, PolicyReport, Rule, Severity, Violation } from './types.js';
