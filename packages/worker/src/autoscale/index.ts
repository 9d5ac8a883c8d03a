export { QueueAutoscaler, type AutoscalerOptions } from './controller.js';
export {
  decideReplicas,
  EMPTY_SCALER_STATE,
  recommendReplicas,
  type QueueDepth,
  type ScaleDecision,
  type ScalerState,
  type ScalingPolicy,
} from './decide.js';
export type { QueueDepthSource, QueueReading, QueueReadingSource, ScaleTarget } from './ports.js';
export { RabbitMqManagementDepth } from './rabbitmq-management.js';
export { RabbitMqDepth, type RabbitMqDepthOptions } from './rabbitmq-depth.js';
