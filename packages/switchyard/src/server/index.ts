export { startServer, type ServerOptions, type RunningServer } from './server.js';
export { FleetRecorder } from './recorder.js';
