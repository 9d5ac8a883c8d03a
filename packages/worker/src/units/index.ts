/**
 * The units every part of Switchyard reads and writes: CPU (millicores), memory (bytes) and
 * durations (milliseconds). One parser, used by the platform's spec and by the worker SDK.
 */
export { formatCpu, formatMemory, parseCpu, parseMemory, parseQuantity } from './quantity.js';
export { DURATION_EXAMPLES, formatDuration, parseDuration } from './duration.js';
