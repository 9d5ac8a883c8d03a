export {
  catalogue,
  EXIT,
  EXIT_MEANINGS,
  KIND_DEFAULTS,
  type CatalogueEntry,
  type ErrorCode,
  type ErrorKind,
} from './catalogue.js';
export { SwitchyardError, isSwitchyardError, type ErrorOptions, type Issue } from './switchyard-error.js';
export { redactUrl } from './redact.js';
