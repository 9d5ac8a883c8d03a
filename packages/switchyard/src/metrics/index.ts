export { PrometheusHttpSource } from './prometheus.js';
