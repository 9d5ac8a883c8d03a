export { GateMetrics, trackCounters, type RoutedServices } from './gate-metrics.js';
export { PrometheusHttpSource } from './prometheus-http.js';
export { gateQuery, trackCounterQueries } from './promql.js';
