export {
  calibrate,
  quantile,
  roundLimits,
  roundTimeout,
  split,
  taskNeeds,
  unmeasuredTasks,
  type Calibration,
  type CalibrateOptions,
  type Limits,
  type Split,
  type TaskNeed,
} from './calibrate.js';
