export { LogNotifier, Notifiers } from './notifiers.js';
