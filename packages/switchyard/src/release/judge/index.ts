export {
  SEQUENTIAL_DEFAULTS,
  NO_EVIDENCE,
  addBatch,
  boundaries,
  decide,
  describeEvidence,
  needed,
  referenceRatio,
  regressedRatio,
  type Boundaries,
  type Counts,
  type Decision,
  type ErrorEvidence,
  type SequentialSettings,
} from './errors.js';
export { addLatencyBatch, histogramDelta, quantileBound, slowerThan, type Bucket, type Histogram } from './latency.js';
