export {
  byWorstFirst,
  countsOf,
  evaluate,
  findingKey,
  HealthLog,
  observe,
  reportFor,
  worstOf,
  type FirstSeen,
} from './evaluate.js';
export { backlogAgeLimitMs, deadLettersCommand, span } from './queue-checks.js';
export { QUEUE_WINDOW_MS, QueueHistory, type QueueCount, type QueueFigures } from './queue-history.js';
export { ENDED_BADLY, ENDED_HOLD_MS } from './release-checks.js';
export { minimumEndpoints } from './service-checks.js';
export { age, describeHealth, findingLine, headline, runbookCommand } from './summary.js';
export {
  CHECKS,
  SEVERITIES,
  type BrokerReading,
  type CheckId,
  type FailingReceiver,
  type Finding,
  type HealthInput,
  type HealthReport,
  type RunningLeftover,
  type RunningService,
  type RunningTrack,
  type RunningWorkerClass,
  type Severity,
  type Worst,
} from './types.js';
