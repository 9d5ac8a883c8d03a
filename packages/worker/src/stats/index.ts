export { appendStat, readStats, type TaskStat } from './stats.js';
