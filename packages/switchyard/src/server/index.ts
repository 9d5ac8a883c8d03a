export { startServer, type ServerOptions, type RunningServer, type FollowOptions } from './server.js';
export { ConfigFollower } from './follow.js';
export { firstCommit, readFleets } from './commits.js';
export { FleetRecorder } from './recorder.js';
export { ADMIN_TOKEN_FILE, localActor, recoverAdminToken, type AdminRecovery } from './admin-token.js';
export { makePrivate, privateDirectory, secureDataDir, tightenedLine, writeSecretFile } from './private-files.js';
