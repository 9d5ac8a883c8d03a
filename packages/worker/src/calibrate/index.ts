export {
  calibrate,
  quantile,
  roundLimits,
  split,
  taskNeeds,
  type Calibration,
  type CalibrateOptions,
  type Limits,
  type Split,
  type TaskNeed,
} from './calibrate.js';
