export { LogNotifier, WebhookNotifier, Notifiers } from './notifiers.js';
