export {
  decide,
  deadLetterReason,
  outcomeOf,
  type AttemptResult,
  type DecideContext,
  type TaskAction,
} from './decide.js';
export { describeDeadLetter, type DeadLetterInfo } from './dead-letter.js';
export {
  encodeEnvelope,
  failedTries,
  HEADER,
  parseEnvelope,
  summaryHeaders,
  TASK_ID,
  withAttempt,
  type AttemptOutcome,
  type AttemptRecord,
  type ParsedEnvelope,
  type TaskEnvelope,
} from './envelope.js';
