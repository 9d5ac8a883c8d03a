export { buildApi, apiRoutes, type ApiOptions } from './server.js';
export { newBus, type ApiContext, type ConfigFollowing, type ConfigRefusal, type ConfigStatus } from './context.js';
export { ENVIRONMENT_HEADER } from './route.js';
export { HANDED_OFF_HEADER, readiness, type ApiLeadership, type LeaderView, type Role } from './hand-off.js';
export { environmentHealth } from './health.js';
