export {
  SEQUENTIAL_DEFAULTS,
  NO_EVIDENCE,
  addBatch,
  boundaries,
  decide,
  describeEvidence,
  ERROR_WORDS,
  needed,
  referenceRatio,
  regressedRatio,
  type Boundaries,
  type Counts,
  type Decision,
  type ErrorEvidence,
  type EventWords,
  type SequentialSettings,
} from './errors.js';
export { addLatencyBatch, histogramDelta, quantileBound, slowerThan, type Bucket, type Histogram } from './latency.js';
